package io.outpost.containers;

import java.util.Map;

/**
 * The node's allocatable resources as its heartbeat reports them (capacity minus system and kube reservations and
 * the hard eviction thresholds, in Kubernetes quantities: {@code cpu}, {@code memory}, {@code pods},
 * {@code ephemeral-storage}). Offered as an OSGi service by the sync bundle, which computes them; the container
 * manager admits new pods against them, as the kubelet admits pods against its Node's allocatable. Like
 * {@link PodStreams}, an interface between two edge bundles, not a message: it belongs to the container manager's
 * API, which the sync implements.
 */
public interface NodeAllocatable {

  /** Resource name to quantity, e.g. {@code cpu=3500m, memory=7Gi, pods=110}; never null. */
  Map<String, String> allocatable();
}
