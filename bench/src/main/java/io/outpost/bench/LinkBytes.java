package io.outpost.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import java.time.Duration;
import java.util.Map;

/**
 * Bytes on one idle edge node's MQTT connection: the shipped distribution (shipped settings), connected to the
 * bench's Mosquitto through a byte-counting proxy, with a bridge on the other side. After the node is Ready and
 * {@code settle} seconds have passed (the connect's full report, resync and first metrics are behind), counts both
 * directions for {@code minutes} minutes: the MQTT packets as TCP carries them (heartbeats, their PUBACKs, keepalive
 * PINGREQ/PINGRESP, anything else either side sends), without TCP/IP headers.
 *
 * <p>{@code bench/link-bytes.sh [minutes] [settleSeconds]}
 */
public final class LinkBytes {
  private LinkBytes() {}

  public static void main(String[] args) throws Exception {
    int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int settle = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    String name = "bench-link";
    try (BenchStack stack = new BenchStack(name, Map.of(), Map.of(), 0, true)) {
      await().atMost(BenchStack.PATIENCE).pollInterval(Duration.ofMillis(200))
          .until(() -> ready(stack.client.nodes().withName(name).get()));
      waitFor(Duration.ofSeconds(settle));
      DelayProxy link = stack.edgeLink();
      long up = link.up();
      long down = link.down();
      long heartbeats = stack.bridge.metrics().get("outpost_bridge_heartbeats_total");
      long start = System.nanoTime();
      waitFor(Duration.ofMinutes(minutes));
      double seconds = (System.nanoTime() - start) / 1e9;
      long upBytes = link.up() - up;
      long downBytes = link.down() - down;
      long beats = stack.bridge.metrics().get("outpost_bridge_heartbeats_total") - heartbeats;
      System.out.printf("idle window: %.0f s after Ready + %d s; heartbeats handled by the bridge: %d%n", seconds,
          settle, beats);
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

  /** The measurement window itself: nothing to wait for but time. */
  private static void waitFor(Duration window) throws InterruptedException {
    long end = System.nanoTime() + window.toNanos();
    long left;
    while ((left = end - System.nanoTime()) > 0) {
      java.util.concurrent.TimeUnit.NANOSECONDS.sleep(left);
    }
  }
}
