package io.outpost.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Service, as the edge needs it for Service forwarding, cluster DNS and the service-link environment variables
 * (kind {@code Service}, store key {@code Service/<namespace>/<name>}). The bridge sends every Service to every edge
 * node that accepts the kind ({@link ResyncRequest#kinds()}); its endpoints travel separately as
 * {@link EndpointSliceV1}s, filtered to the node's site.
 *
 * <p>Validation here is structural only (ranges, known enum values, sizes). Whether a node can program a Service
 * (for example a NodePort another Service already uses) is the node's judgement: it refuses that Service with a
 * reason and an Event and keeps programming the others.
 *
 * @param type {@code ClusterIP} (default), {@code NodePort}, {@code LoadBalancer} or {@code ExternalName}
 * @param clusterIPs {@code spec.clusterIPs}: empty before allocation, {@code ["None"]} for a headless Service
 * @param sessionAffinity {@code None} (default) or {@code ClientIP}
 * @param sessionAffinityTimeoutSeconds the ClientIP affinity timeout (Kubernetes' default 10800)
 * @param externalTrafficPolicy {@code Cluster} (default) or {@code Local}: NodePort traffic to local endpoints only
 * @param internalTrafficPolicy {@code Cluster} (default) or {@code Local}: ClusterIP traffic to local endpoints only
 * @param publishNotReadyAddresses whether DNS and forwarding include endpoints that are not ready
 * @param externalName the CNAME target of an {@code ExternalName} Service
 */
public record ServiceV1(String type, List<String> clusterIPs, List<ServicePortV1> ports, String sessionAffinity,
    Integer sessionAffinityTimeoutSeconds, String externalTrafficPolicy, String internalTrafficPolicy,
    boolean publishNotReadyAddresses, String externalName) {

  public static final int MAX_PORTS = 256;
  public static final String HEADLESS = "None";
  static final Set<String> TYPES = Set.of("ClusterIP", "NodePort", "LoadBalancer", "ExternalName");
  static final Set<String> PROTOCOLS = Set.of("TCP", "UDP", "SCTP");
  static final Set<String> POLICIES = Set.of("Cluster", "Local");

  /**
   * One port. {@code targetPort} is the text of Kubernetes' int-or-string: a number, or the name of a container port
   * (resolved through the EndpointSlice's ports); null means the same as {@code port}.
   */
  public record ServicePortV1(String name, String protocol, int port, String targetPort, Integer nodePort) {
    public String protocolOrTcp() {
      return protocol == null ? "TCP" : protocol;
    }
  }

  @Override
  public List<String> clusterIPs() {
    return clusterIPs == null ? List.of() : clusterIPs;
  }

  @Override
  public List<ServicePortV1> ports() {
    return ports == null ? List.of() : ports;
  }

  public String typeOrDefault() {
    return type == null ? "ClusterIP" : type;
  }

  /** {@code clusterIP: None}: DNS answers with the endpoints' addresses, nothing is forwarded. */
  public boolean headless() {
    return clusterIPs().contains(HEADLESS);
  }

  /** Whether NodePorts are opened for it (NodePort and LoadBalancer Services). */
  public boolean hasNodePorts() {
    return "NodePort".equals(type) || "LoadBalancer".equals(type);
  }

  void validate() throws ProtocolException {
    Validation.requireOneOf(type, TYPES, "service.type");
    Validation.requireSize(clusterIPs, 2, "service.clusterIPs");
    for (String ip : clusterIPs()) {
      if (!HEADLESS.equals(ip)) {
        IpLiterals.requireIp(ip, "service.clusterIPs[]");
      }
    }
    if (headless() && clusterIPs().size() != 1) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "service.clusterIPs: None stands alone");
    }
    Validation.requireSize(ports, MAX_PORTS, "service.ports");
    Set<String> names = new HashSet<>();
    for (ServicePortV1 port : ports()) {
      Validation.requirePort(port.port(), "service.ports[].port");
      Validation.requireOneOf(port.protocol(), PROTOCOLS, "service.ports[].protocol");
      Validation.requirePort(port.nodePort(), "service.ports[].nodePort");
      Validation.requireMaxLength(port.name(), 63, "service.ports[].name");
      if (ports().size() > 1 && (port.name() == null || !names.add(port.name()))) {
        throw new ProtocolException(ProtocolException.Reason.INVALID,
            "service.ports[].name must be set and unique when a Service has several ports");
      }
      String target = port.targetPort();
      if (target != null && !target.isEmpty()) {
        if (target.chars().allMatch(Character::isDigit)) {
          Validation.requirePort(target.length() > 5 ? 0 : Integer.parseInt(target), "service.ports[].targetPort");
        } else {
          Validation.requireMaxLength(target, 15, "service.ports[].targetPort");
        }
      }
    }
    Validation.requireOneOf(sessionAffinity, Set.of("None", "ClientIP"), "service.sessionAffinity");
    if (sessionAffinityTimeoutSeconds != null
        && (sessionAffinityTimeoutSeconds < 1 || sessionAffinityTimeoutSeconds > 86_400)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID,
          "service.sessionAffinityTimeoutSeconds must be 1..86400, was " + sessionAffinityTimeoutSeconds);
    }
    Validation.requireOneOf(externalTrafficPolicy, POLICIES, "service.externalTrafficPolicy");
    Validation.requireOneOf(internalTrafficPolicy, POLICIES, "service.internalTrafficPolicy");
    Validation.requireMaxLength(externalName, 253, "service.externalName");
  }
}
