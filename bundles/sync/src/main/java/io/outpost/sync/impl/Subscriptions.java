package io.outpost.sync.impl;

import io.outpost.protocol.Topics;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics a node subscribes to, and what a refusal of each means. MQTT 5 grants per topic: a broker ACL that
 * refuses one answers 0x87 (not authorized) for it alone. The node's downstream topic and the bridge's announcement
 * are required (without them it cannot sync); streams and gateway artifacts came later, so a broker ACL from before
 * them may refuse those topics, and the node syncs on without kubectl logs/exec/port-forward or rollouts, saying so.
 */
final class Subscriptions {
  private static final Logger LOG = LoggerFactory.getLogger(Subscriptions.class);

  /** A topic; {@code lacking}: what the node cannot do without it (null: required). */
  record Topic(String name, String lacking) {}

  private Subscriptions() {}

  static List<Topic> of(String node) {
    return List.of(new Topic(Topics.down(node), null), new Topic(Topics.BRIDGE_ONLINE, null),
        new Topic(Topics.stream(node), "kubectl logs/exec/port-forward are unavailable for this node"),
        new Topic(Topics.artifact(node), "gateway rollouts cannot reach this node"));
  }

  static String[] names(List<Topic> topics) {
    return topics.stream().map(Topic::name).toArray(String[]::new);
  }

  /**
   * Logs each optional topic the broker refused; returns the reason codes if a required one was refused (the
   * connection is then of no use), else null.
   */
  static int[] refusedRequired(List<Topic> topics, int[] codes) {
    if (codes == null) {
      return null;
    }
    boolean required = false;
    for (int i = 0; i < Math.min(codes.length, topics.size()); i++) {
      if (codes[i] < 0x80) {
        continue;
      }
      Topic topic = topics.get(i);
      if (topic.lacking() == null) {
        required = true;
      } else {
        LOG.warn("The broker refused the topic {} (reason code {}): {} until its ACL allows it (docs/security.md)",
            topic.name(), codes[i], topic.lacking());
      }
    }
    return required ? Arrays.copyOf(codes, codes.length) : null;
  }
}
