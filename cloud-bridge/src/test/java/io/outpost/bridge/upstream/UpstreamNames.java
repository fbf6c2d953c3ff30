package io.outpost.bridge.upstream;

/** Test access to the names the upstream path writes under (metrics, the Lease namespace), for tests of the bridge. */
public final class UpstreamNames {
  /** The reason counted when a node's reported figures are implausible. */
  public static final String FIGURES_REJECTED = NodeFigures.REJECTED;
  /** The metric of upstream messages dropped by the lanes. */
  public static final String DROPPED = UpstreamLanes.DROPPED;
  /** Where the edge nodes' Leases are. */
  public static final String LEASE_NAMESPACE = LeaseRenewer.NAMESPACE;

  private UpstreamNames() {}
}
