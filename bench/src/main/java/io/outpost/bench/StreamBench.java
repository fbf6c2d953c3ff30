package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.outpost.testing.ApiServerClient;
import io.outpost.testing.KubeletPki;
import io.outpost.testing.Podman;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * kubectl logs/exec through the bridge (kubelet API → Mosquitto → edge → Podman), as the API server would use it:
 * time to the first byte of a log, log throughput, and exec round trips (a line to {@code cat} and back).
 * {@code bench/streams.sh [log MiB=64] [round trips=200] [edge link delay ms, each way=0]}.
 */
public final class StreamBench {
  private StreamBench() {}

  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int trips = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    long delay = args.length > 2 ? Long.parseLong(args[2]) : 0; // the edge's link to the broker, each way
    if (delay > 0) {
      System.out.printf("the edge's link to the broker: %d ms each way (%d ms round trip)%n", delay, 2 * delay);
    }
    KubeletPki pki = new KubeletPki(Files.createTempDirectory("outpost-bench-pki-"));
    // The whole log is kept: no cap on the container's log (10 MiB by default).
    try (BenchStack stack = new BenchStack("bench-streams", pki.bridgeEnvironment(),
        Map.of("container.log.max.mb", "0"), delay)) {
      stack.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("talker")
          .withNamespace("default").endMetadata().withNewSpec().withNodeName(stack.node).addNewContainer()
          .withName("app").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c",
              "yes 'outpost stream benchmark line of about one hundred bytes ........................................'"
                  + " | head -c " + (mib * 1024L * 1024L) + "; exec sleep 3600").endContainer().endSpec().build())
          .create();
      stack.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("quiet")
          .withNamespace("default").endMetadata().withNewSpec().withNodeName(stack.node).addNewContainer()
          .withName("app").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c", "echo hello; exec sleep 3600")
          .endContainer().endSpec().build()).create();
      stack.awaitRunning(2);
      ApiServerClient api = new ApiServerClient(stack.bridge.kubeletPort(), pki, pki.apiServer);
      await().atMost(BenchStack.PATIENCE).until(() -> api.get("/containerLogs/default/talker/app?tailLines=1")
          .statusCode() == 200);

      for (String pod : List.of("quiet", "talker")) {
        List<Long> first = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          long start = System.nanoTime();
          HttpResponse<InputStream> response = api.get("/containerLogs/default/" + pod + "/app?tailLines=1");
          try (InputStream body = response.body()) {
            if (response.statusCode() != 200 || body.read() < 0) {
              throw new IllegalStateException("log of " + pod + " answered " + response.statusCode()
                  + " with no log byte: no figure");
            }
            first.add(System.nanoTime() - start);
            body.readAllBytes();
          }
        }
        System.out.printf("log open → first byte (%s, tailLines=1, 50 requests): p50 %.1f ms, p99 %.1f ms%n",
            pod.equals("quiet") ? "one-line log" : mib + " MiB log", pct(first, 50), pct(first, 99));
      }

      for (int run = 0; run < 3; run++) {
        long start = System.nanoTime();
        long bytes;
        HttpResponse<InputStream> response = api.get("/containerLogs/default/talker/app");
        try (InputStream body = response.body()) {
          bytes = body.transferTo(java.io.OutputStream.nullOutputStream());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (response.statusCode() != 200 || bytes != mib * 1024L * 1024L) { // a cut log is no throughput figure
          throw new IllegalStateException("whole log answered " + response.statusCode() + " with " + bytes
              + " bytes of " + mib * 1024L * 1024L + ": no figure");
        }
        System.out.printf("whole log, run %d: %.1f MiB in %.2f s = %.1f MiB/s%n", run + 1, bytes / 1048576.0,
            seconds, bytes / 1048576.0 / seconds);
      }

      try (ApiServerClient.Spdy exec = api.spdy("/exec/default/talker/app?command=cat&input=1&output=1",
          "v4.channel.k8s.io")) {
        exec.open(Map.of("streamtype", "error"));
        int stdin = exec.open(Map.of("streamtype", "stdin"));
        int stdout = exec.open(Map.of("streamtype", "stdout"));
        await().atMost(BenchStack.PATIENCE).until(() -> exec.replied(stdout));
        List<Long> rtt = new ArrayList<>();
        for (int i = 0; i < trips; i++) {
          String line = "ping " + i + "\n";
          int expected = exec.text(stdout).length() + line.length();
          long start = System.nanoTime();
          exec.send(stdin, line, false);
          await().atMost(BenchStack.PATIENCE).pollInterval(java.time.Duration.ofMillis(1))
              .until(() -> exec.text(stdout).length() >= expected);
          rtt.add(System.nanoTime() - start);
        }
        System.out.printf("exec round trip (%d lines through cat): p50 %.1f ms, p99 %.1f ms%n", trips,
            pct(rtt, 50), pct(rtt, 99));
      }
    } finally {
      io.outpost.testing.Trees.deleteTree(pki.dir);
    }
  }

  private static double pct(List<Long> nanos, int percentile) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1)) / 1e6;
  }
}
