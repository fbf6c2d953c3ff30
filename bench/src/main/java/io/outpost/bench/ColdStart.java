package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.outpost.testing.Podman;
import java.time.Duration;

/**
 * Edge cold start with no cloud: an edge node that ran {@code pods} pods is killed, every Outpost container removed
 * (a host reboot), bridge and broker are down; the distribution is started again and the harness measures process
 * start → store open (Karaf and the Outpost bundles up) and process start → every pod's container running again,
 * polled every 50 ms through podman. Usage: {@code ColdStart [pods] [rounds]}.
 */
public final class ColdStart {
  private ColdStart() {}

  public static void main(String[] args) throws Exception {
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    try (BenchStack stack = new BenchStack("bench-cold-start")) {
      stack.createPods(pods);
      stack.awaitRunning(pods);
      stack.bridge.close();
      stack.broker.stop();
      for (int round = 1; round <= rounds; round++) {
        stack.edge.kill();
        Podman.removeContainersLabelled("io.outpost.node", stack.node);
        long opened = stack.edge.logCount("Edge store open");
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
      }
    }
  }
}
