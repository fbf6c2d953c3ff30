package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.outpost.testing.Podman;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Issue 6 figures on one edge node (the built distribution on Podman, bridge, Mosquitto, mock API): idle RSS, RSS
 * with 10 running pods, pod created in Kubernetes → {@code Running} (all containers ready) in Kubernetes for pods
 * created one after the other, and the edge's CPU while idle with all those pods running.
 * {@code bench/pod-start.sh [pods]}.
 */
public final class PodStartBench {
  private static final Duration SETTLE = Duration.ofSeconds(30);
  private static final Duration CPU_WINDOW = Duration.ofSeconds(60);

  /** {@code OUTPOST_BENCH_TRACE=1}: print every watch event with its time, to split the latency by hop. */
  private static final boolean TRACE = "1".equals(System.getenv("OUTPOST_BENCH_TRACE"));

  private PodStartBench() {}

  public static void main(String[] args) throws Exception {
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    try (BenchStack stack = new BenchStack("bench-start")) {
      await().atMost(BenchStack.PATIENCE).until(() -> stack.client.nodes().withName(stack.node).get() != null);
      long pid = stack.edgeJavaPid();
      settle();
      System.out.printf("edge idle (0 pods): %s%n", ProcessStats.memory(pid));

      for (int i = 0; i < 10; i++) {
        create(stack, "warm-" + i);
      }
      stack.awaitRunning(10);
      settle();
      System.out.printf("edge with 10 running pods: %s%n", ProcessStats.memory(pid));

      Map<String, Long> runningAt = new ConcurrentHashMap<>();
      try (Watch watch = stack.client.pods().inNamespace("default").watch(new Watcher<>() {
        @Override
        public void eventReceived(Action action, Pod pod) {
          if (TRACE) {
            System.out.printf("%s %s %s %s %s%n", java.time.Instant.now(), action, pod.getMetadata().getName(),
                pod.getStatus() == null ? null : pod.getStatus().getPhase(), pod.getStatus() == null ? null
                : pod.getStatus().getContainerStatuses());
          }
          if (pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())
              && pod.getStatus().getContainerStatuses() != null && pod.getStatus().getContainerStatuses().stream()
              .allMatch(c -> Boolean.TRUE.equals(c.getReady()))) {
            runningAt.putIfAbsent(pod.getMetadata().getName(), System.nanoTime());
          }
        }

        @Override
        public void onClose(WatcherException cause) {
          // the bench ends the watch itself
        }
      })) {
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
          String name = "timed-" + i;
          long start = System.nanoTime();
          if (TRACE) {
            System.out.printf("%s create %s%n", java.time.Instant.now(), name);
          }
          create(stack, name);
          await().atMost(BenchStack.PATIENCE).pollInterval(Duration.ofMillis(5)).until(() ->
              runningAt.containsKey(name));
          millis.add((runningAt.get(name) - start) / 1e6);
        }
        millis.sort(Double::compare);
        System.out.printf("pod created → Running in Kubernetes, %d pods one after another: p50 %.0f ms, p99 %.0f ms,"
            + " max %.0f ms%n", pods, Percentiles.of(millis, 50), Percentiles.of(millis, 99),
            millis.get(millis.size() - 1));
      }

      settle();
      long ticks = ProcessStats.cpuTicks(pid);
      await().pollDelay(CPU_WINDOW).atMost(CPU_WINDOW.plusSeconds(5)).until(() -> true);
      double seconds = (ProcessStats.cpuTicks(pid) - ticks) / 100.0;
      System.out.printf("edge idle with %d running pods: CPU %.1f s per minute (%.1f %% of one core), %s%n",
          pods + 10, seconds * 60 / CPU_WINDOW.toSeconds(), seconds * 100 / CPU_WINDOW.toSeconds(),
          ProcessStats.memory(pid));
    }
  }

  private static void create(BenchStack stack, String name) {
    stack.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName(name)
        .withNamespace("default").endMetadata().withNewSpec().withNodeName(stack.node).withRestartPolicy("Always")
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer()
        .endSpec().build()).create();
  }

  /** A measurement window in which the process is left alone (GC and caches settle); not a timing assumption. */
  private static void settle() {
    await().pollDelay(SETTLE).atMost(SETTLE.plusSeconds(5)).until(() -> true);
  }

}
