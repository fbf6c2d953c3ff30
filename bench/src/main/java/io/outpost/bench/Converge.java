package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Duration;

/**
 * Link up → converged: an edge holding {@code pods} pods is cut off (broker down), {@code missedPercent}% of its pods
 * change meanwhile, the broker comes back with its persistence wiped; the harness measures broker start →
 * the edge has applied the resync answer (its log says "Resync complete" again), polled every 20 ms.
 * Usage: {@code Converge [pods] [missedPercent]}.
 */
public final class Converge {
  private Converge() {}

  public static void main(String[] args) throws Exception {
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int missedPercent = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    try (BenchStack stack = new BenchStack("bench-converge")) {
      stack.createPods(pods);
      stack.awaitRunning(pods);
      for (int round = 1; round <= 3; round++) {
        long objects = stack.bridge.metrics().get("outpost_bridge_resync_objects_total");
        long synced = stack.edge.logCount("Resync complete");
        stack.broker.stop();
        await().atMost(BenchStack.PATIENCE).until(() -> !stack.bridge.isReady());
        int changed = pods * missedPercent / 100;
        for (int i = 0; i < changed; i++) {
          String value = "round-" + round;
          stack.client.pods().inNamespace("default").withName("bench-" + i).edit(p -> new PodBuilder(p).editSpec()
              .editFirstContainer().withArgs(value).endContainer().endSpec().build());
        }
        long start = System.nanoTime();
        stack.broker.restart(true);
        await().atMost(BenchStack.PATIENCE).pollInterval(Duration.ofMillis(20))
            .until(() -> stack.edge.logCount("Resync complete") > synced);
        long converged = System.nanoTime();
        System.out.printf("round %d: %d of %d pods changed while offline: broker up → edge converged %d ms"
                + " (%d objects sent)%n", round, changed, pods, (converged - start) / 1_000_000,
            stack.bridge.metrics().get("outpost_bridge_resync_objects_total") - objects);
      }
    }
  }
}
