package io.outpost.bridge.fleet.sites;

import io.fabric8.kubernetes.api.model.Node;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each edge node was last heard from: its last heartbeat at this bridge, or else (this replica just became
 * active, or is a standby) the Ready condition's {@code lastHeartbeatTime} its Node shows. Thread-safe.
 */
public final class LastContacts {
  private final Map<String, Instant> heard = new ConcurrentHashMap<>();

  public void heard(String node, Instant at) {
    heard.merge(node, at, (a, b) -> a.isAfter(b) ? a : b);
  }

  public void forget(String node) {
    heard.remove(node);
  }

  /** The node's last contact, or null if it was never heard from. */
  public Instant of(Node node) {
    Instant here = heard.get(node.getMetadata().getName());
    Instant shown = shown(node);
    if (here == null) {
      return shown;
    }
    return shown == null || here.isAfter(shown) ? here : shown;
  }

  private static Instant shown(Node node) {
    if (node.getStatus() == null || node.getStatus().getConditions() == null) {
      return null;
    }
    return node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
        .map(c -> c.getLastHeartbeatTime()).filter(t -> t != null && !t.isEmpty()).findFirst().map(t -> {
          try {
            return Instant.parse(t);
          } catch (java.time.format.DateTimeParseException e) {
            return null;
          }
        }).orElse(null);
  }
}
