package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.outpost.testing.Podman;
import java.time.Duration;

/**
 * Edge cold start with no cloud: an edge node that ran {@code pods} pods is killed, every Outpost container removed
 * (a host reboot), bridge and broker are down; the distribution is started again and the harness measures process
 * start → store open (Karaf and the Outpost bundles up) and process start → every pod's container running again,
 * polled every 50 ms through the engine's API socket, with a split by step from the edge's log. Usage: {@code
 * ColdStart [pods] [rounds] [key=value ...]} (node settings changed from the shipped configuration).
 */
public final class ColdStart {
  private ColdStart() {}

  public static void main(String[] args) throws Exception {
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    java.util.Map<String, String> nodeSettings = new java.util.LinkedHashMap<>();
    for (int i = 2; i < args.length; i++) { // key=value: a node setting changed from the shipped one
      nodeSettings.put(args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
    }
    System.out.println("node settings changed from the shipped ones: " + (nodeSettings.isEmpty() ? "none"
        : nodeSettings));
    try (BenchStack stack = new BenchStack("bench-cold-start", java.util.Map.of(), nodeSettings, 0)) {
      stack.createPods(pods);
      stack.awaitRunning(pods);
      stack.bridge.close();
      stack.broker.stop();
      for (int round = 1; round <= rounds; round++) {
        stack.edge.kill();
        Podman.removeContainersLabelled("io.outpost.node", stack.node);
        long opened = stack.edge.logCount("Edge store open");
        java.time.Instant wallStart = java.time.Instant.now();
        long start = System.nanoTime();
        stack.edge.start();
        await().atMost(BenchStack.PATIENCE).pollInterval(Duration.ofMillis(50))
            .until(() -> stack.edge.logCount("Edge store open") > opened);
        long storeOpen = System.nanoTime();
        stack.awaitRunning(pods);
        long running = System.nanoTime();
        System.out.printf("round %d: start → store open %d ms, → %d pods running %d ms (store open → running %d ms)%n",
            round, (storeOpen - start) / 1_000_000, pods, (running - start) / 1_000_000,
            (running - storeOpen) / 1_000_000);
        KarafLog log = KarafLog.since(stack.edge.log(), wallStart.minusMillis(5));
        steps(log, wallStart);
        if ("1".equals(System.getenv("OUTPOST_BENCH_TRACE"))) {
          log.print(System.out, "");
        }
      }
    }
  }

  /** Where the time of one start went, from the edge's own log (ms after process start). */
  private static void steps(KarafLog log, java.time.Instant start) {
    java.util.function.Function<java.util.Optional<java.time.Instant>, String> at = t -> t
        .map(i -> Long.toString(java.time.Duration.between(start, i).toMillis())).orElse("-");
    System.out.printf("  steps (ms after process start, from karaf.log): first log line %s, edge store open %s,"
        + " container manager activated %s, engine reachable %s, first infra started %s, first container created"
        + " %s, last container created %s (%d infra, %d app containers started)%n",
        at.apply(log.first()), at.apply(log.first("Edge store open")),
        at.apply(log.first("Container manager for node")), at.apply(log.first("is reachable")),
        at.apply(log.first("Started the infra container")), at.apply(log.first("Created container")),
        at.apply(log.last("Created container")), log.count("Started the infra container"),
        log.count("Created container"));
  }
}
