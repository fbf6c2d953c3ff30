package io.outpost.containers;

/**
 * The node's pod network, offered as an OSGi service by the networking feature ({@code outpost-network}) once it
 * knows the node's pod range (from the store, so also after a restart while cut off). While one is registered the
 * container manager creates each new pod sandbox on it: it makes sure the engine has a network named
 * {@link #engineNetwork()} on the Linux bridge {@link #bridge()} with subnet {@link #subnet()} and gateway
 * {@link #gateway()} (creating it if missing), and attaches the pod's infra container to it. Without one (the
 * feature is not installed, or the node has no range yet) sandboxes use the engine's default network, as before.
 * Pods keep the network they were created on: registering or withdrawing this service restarts no pod.
 */
public interface PodNetwork {
  /** The engine network's name (Podman/Docker network), e.g. {@code outpost}. */
  String engineNetwork();

  /** The Linux bridge the engine network uses, e.g. {@code outpost0}; created by the networking feature. */
  String bridge();

  /** The node's IPv4 pod range in CIDR form, e.g. {@code 10.42.1.0/24}. */
  String subnet();

  /** The gateway address pods route through: the bridge's address, the first of {@link #subnet()}. */
  String gateway();

  /**
   * The nameserver pods with {@code dnsPolicy: ClusterFirst} get in {@code /etc/resolv.conf} (the node's cluster DNS
   * server), or null if the node serves no cluster DNS: pods then get the node's resolvers, as with
   * {@code Default}.
   */
  String clusterDns();

  /**
   * Runs {@code creation} — the container manager creating the engine network — while the bridge does not hold the
   * gateway address, and puts the address back before returning (also when {@code creation} fails). Podman 4.3
   * refuses to create a network whose subnet is in use on the host ("subnet … is already used on the host or by
   * another config"), and the networking feature puts the gateway on the bridge as soon as it knows the range, so
   * that the node's DNS server listens before the first pod starts. Pods already on the bridge lose their gateway for
   * the moment of the creation only. The default runs {@code creation} as it is (a bridge without an address).
   */
  default <T> T whileUnaddressed(java.util.concurrent.Callable<T> creation) throws Exception {
    return creation.call();
  }
}
