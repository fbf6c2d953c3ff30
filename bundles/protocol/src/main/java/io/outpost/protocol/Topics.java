package io.outpost.protocol;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Topic names of protocol v1. Every node owns one subtree, {@code outpost/v1/<node>/}, so a broker ACL can confine
 * a node to it: {@code .../down} carries bridge-to-edge messages, {@code .../stream} bridge-to-edge stream frames,
 * {@code .../artifact} bridge-to-edge artifact chunks, {@code .../up/<channel>} edge-to-bridge ones.
 */
public final class Topics {
  public static final String ROOT = "outpost/v1/";
  /**
   * Retained announcement of the bridge's current MQTT session; every node may read it. {@code _} cannot occur in a
   * node name, so no node's subtree contains it.
   */
  public static final String BRIDGE_ONLINE = ROOT + "_bridge/online";
  /** Kubernetes node names are DNS-1123 subdomains; this also excludes MQTT wildcards and separators. */
  private static final Pattern NODE_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final int MAX_NODE_NAME = 253;

  private Topics() {}

  /** Channels an edge node publishes on. */
  public enum Up {
    NODE("node"), STATUS("status"), RESYNC("resync"), EVENT("event"), DEVICE("device"), STREAM("stream"),
    /** Resource usage ({@link StatsReport}): disposable telemetry, newest per node only. */
    STATS("stats"),
    /** Chunk requests of a gateway rollout's artifact ({@link ArtifactRequest}). */
    ARTIFACT("artifact"),
    /** The node's progress with its gateway target ({@link RolloutReport}): newest per node only. */
    ROLLOUT("rollout");

    private final String segment;

    Up(String segment) {
      this.segment = segment;
    }

    public String segment() {
      return segment;
    }

    static Optional<Up> of(String segment) {
      for (Up up : values()) {
        if (up.segment.equals(segment)) {
          return Optional.of(up);
        }
      }
      return Optional.empty();
    }
  }

  public static boolean isValidNodeName(String node) {
    return node != null && node.length() <= MAX_NODE_NAME && NODE_NAME.matcher(node).matches();
  }

  public static String requireNodeName(String node) {
    if (!isValidNodeName(node)) {
      throw new IllegalArgumentException("invalid node name '" + node + "': must be a DNS-1123 subdomain");
    }
    return node;
  }

  public static String down(String node) {
    return ROOT + requireNodeName(node) + "/down";
  }

  /** Bridge-to-edge stream frames (kubectl logs/exec/port-forward), outside the sequenced {@code down} channel. */
  public static String stream(String node) {
    return ROOT + requireNodeName(node) + "/stream";
  }

  /** Bridge-to-edge chunks of a gateway rollout's artifact ({@link ArtifactChunk}), outside the sequence. */
  public static String artifact(String node) {
    return ROOT + requireNodeName(node) + "/artifact";
  }

  public static String up(String node, Up channel) {
    return ROOT + requireNodeName(node) + "/up/" + channel.segment();
  }

  /** The subscription filter with which the bridge receives every node's upstream messages. */
  public static String allUp() {
    return ROOT + "+/up/#";
  }

  /** An upstream topic taken apart; empty if the topic is not a valid v1 upstream topic. */
  public record UpTopic(String node, Up channel) {}

  public static Optional<UpTopic> parseUp(String topic) {
    if (topic == null || !topic.startsWith(ROOT)) {
      return Optional.empty();
    }
    String[] parts = topic.substring(ROOT.length()).split("/", -1);
    if (parts.length != 3 || !"up".equals(parts[1]) || !isValidNodeName(parts[0])) {
      return Optional.empty();
    }
    return Up.of(parts[2]).map(channel -> new UpTopic(parts[0], channel));
  }
}
