package io.outpost.bridge.kubelet;

import java.util.HashMap;
import java.util.Map;

/**
 * The kubelet API's stream sessions counted per node and per calling user, within the bridge's total: a session is
 * admitted only if its node, its user and the bridge all have room. Thread-safe (one monitor; admissions are rare).
 */
final class StreamShares {
  private final int total;
  private final int perNode;
  private final int perUser;
  private final Map<String, Integer> byNode = new HashMap<>();
  private final Map<String, Integer> byUser = new HashMap<>();
  private int open;

  StreamShares(int total, int perNode, int perUser) {
    this.total = total;
    this.perNode = perNode;
    this.perUser = perUser;
  }

  /** Null if a session of {@code node} for {@code user} fits (it is then counted), else the share it exceeds. */
  synchronized String admit(String node, String user) {
    if (open >= total) {
      return "sessions_full";
    }
    if (byNode.getOrDefault(node, 0) >= perNode) {
      return "node_share";
    }
    if (byUser.getOrDefault(user, 0) >= perUser) {
      return "user_share";
    }
    open++;
    byNode.merge(node, 1, Integer::sum);
    byUser.merge(user, 1, Integer::sum);
    return null;
  }

  /** An admitted session ended. */
  synchronized void release(String node, String user) {
    open--;
    byNode.computeIfPresent(node, (k, n) -> n <= 1 ? null : n - 1);
    byUser.computeIfPresent(user, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** What a refusal for {@code share} tells the client. */
  String message(String share, String node, String user) {
    return switch (share) {
      case "node_share" -> "node " + node + " already relays " + perNode + " streams (OUTPOST_STREAMS_PER_NODE)";
      case "user_share" -> "user " + user + " already has " + perUser + " streams open (OUTPOST_STREAMS_PER_USER)";
      default -> "the bridge already relays " + total + " streams";
    };
  }
}
