package io.outpost.network.services;

import io.outpost.protocol.ObjectRef;
import java.util.List;
import java.util.Map;

/**
 * What the node programs: one {@link PortProgram} per forwarded Service port, and the Services it refuses, each with
 * its reason (by store key).
 */
record Plan(List<PortProgram> ports, Map<String, Refusal> refused) {

  /** A Service the node cannot program, and why. */
  record Refusal(ObjectRef service, String reason) {}

  /** One endpoint of a Service port: where traffic is sent, and whether it is a pod of this node. */
  record Endpoint(String ip, int port, boolean local) {}

  /**
   * One port of a Service as it is forwarded.
   *
   * @param id a name unique to the Service port, safe in nftables identifiers
   * @param protocol {@code tcp} or {@code udp}
   * @param clusterIp the IPv4 ClusterIP, or null (a NodePort Service whose ClusterIP is IPv6 only)
   * @param nodePort the NodePort, or null
   * @param endpoints every usable endpoint, sorted
   * @param internalLocal {@code internalTrafficPolicy: Local}: ClusterIP traffic to local endpoints only
   * @param externalLocal {@code externalTrafficPolicy: Local}: NodePort traffic to local endpoints only, unmasqueraded
   * @param affinitySeconds the ClientIP affinity timeout, or null without affinity
   */
  record PortProgram(String serviceKey, String id, String protocol, String clusterIp, int port, Integer nodePort,
      List<Endpoint> endpoints, boolean internalLocal, boolean externalLocal, Integer affinitySeconds) {

    List<Endpoint> clusterEndpoints() {
      return internalLocal ? endpoints.stream().filter(Endpoint::local).toList() : endpoints;
    }

    List<Endpoint> externalEndpoints() {
      return externalLocal ? endpoints.stream().filter(Endpoint::local).toList() : endpoints;
    }
  }

  /** How many distinct Services have at least one programmed port. */
  long programmedServices() {
    return ports.stream().map(PortProgram::serviceKey).distinct().count();
  }
}
