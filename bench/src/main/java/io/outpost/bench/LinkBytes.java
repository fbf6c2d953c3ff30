package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import java.time.Duration;
import java.util.Map;

/**
 * Bytes on one idle edge node's MQTT connection: the shipped distribution (shipped settings), connected to the
 * bench's Mosquitto through a byte-counting proxy, with a bridge on the other side. After the node is Ready and
 * the bridge has handled {@code settle} more heartbeats (the connect's full report, resync and first metrics are
 * behind), counts both directions while the bridge handles {@code heartbeats} more of the node's heartbeats (18 is
 * three minutes at the shipped 10 s interval): the MQTT packets as TCP carries them (heartbeats, their PUBACKs,
 * keepalive PINGREQ/PINGRESP, anything else either side sends), without TCP/IP headers. The window is measured in
 * heartbeats, not in time, so that it always holds whole heartbeat periods; the rate divides by its measured length.
 *
 * <p>{@code bench/link-bytes.sh [heartbeats] [settleHeartbeats]}
 */
public final class LinkBytes {
  private LinkBytes() {}

  public static void main(String[] args) throws Exception {
    int window = args.length > 0 ? Integer.parseInt(args[0]) : 18;
    int settle = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String name = "bench-link";
    try (BenchStack stack = new BenchStack(name, Map.of(), Map.of(), 0, true)) {
      await().atMost(BenchStack.PATIENCE).pollInterval(Duration.ofMillis(200))
          .until(() -> ready(stack.client.nodes().withName(name).get()));
      heartbeatsHandled(stack, heartbeats(stack) + settle);
      DelayProxy link = stack.edgeLink();
      long beatsBefore = heartbeats(stack);
      long up = link.up();
      long down = link.down();
      long start = System.nanoTime();
      heartbeatsHandled(stack, beatsBefore + window);
      double seconds = (System.nanoTime() - start) / 1e9;
      long upBytes = link.up() - up;
      long downBytes = link.down() - down;
      long beats = heartbeats(stack) - beatsBefore;
      System.out.printf("idle window: %.0f s, %d heartbeats handled by the bridge (after Ready + %d heartbeats)%n",
          seconds, beats, settle);
      System.out.printf("up (node → broker): %d bytes, %.1f B/s%n", upBytes, upBytes / seconds);
      System.out.printf("down (broker → node): %d bytes, %.1f B/s%n", downBytes, downBytes / seconds);
      System.out.printf("total: %d bytes, %.1f B/s%n", upBytes + downBytes, (upBytes + downBytes) / seconds);
    }
  }

  private static boolean ready(Node node) {
    return node != null && node.getStatus() != null && node.getStatus().getConditions() != null
        && node.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static long heartbeats(BenchStack stack) {
    return stack.bridge.metrics().get("outpost_bridge_heartbeats_total");
  }

  /** Until the bridge has handled {@code total} heartbeats (shipped interval 10 s; patience for a few missed ones). */
  private static void heartbeatsHandled(BenchStack stack, long total) {
    long missing = Math.max(0, total - heartbeats(stack));
    await("heartbeat " + total).atMost(Duration.ofSeconds(30 + 20 * missing)).pollInterval(Duration.ofMillis(100))
        .until(() -> heartbeats(stack) >= total);
  }
}
