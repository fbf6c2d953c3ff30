package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Node;
import io.outpost.protocol.NodeReport;

/**
 * Labels the bridge keeps on an edge Node from its heartbeats besides the edge label and taint (a node's site, for
 * one: {@code io.outpost.bridge.fleet.sites.SiteLabels}). Called on the heartbeat lane for every heartbeat of a
 * registered edge node.
 */
public interface NodeLabels {
  NodeLabels NONE = (node, report, factsFresh) -> node;

  /**
   * Brings {@code node}'s labels in line with {@code report} (the node's facts, a delta filled from its last report)
   * and returns the Node as patched, or as given. {@code factsFresh}: this heartbeat itself carried the node's facts
   * (not only filled from earlier ones). A failed write is counted and logged, never thrown: the status write and
   * the Lease go on.
   */
  Node keep(Node node, NodeReport report, boolean factsFresh);
}
