package io.outpost.protocol;

import java.util.List;

/**
 * A container port published on the node ({@code hostPort}), as Kubernetes' ContainerPort. The bridge sends only
 * ports with a {@code hostPort}; the edge publishes them on the pod's infra container. {@code protocol} TCP (default),
 * UDP or SCTP; {@code hostIP} empty for every address of the node.
 */
public record PortV1(String name, int containerPort, Integer hostPort, String protocol, String hostIP) {

  /** The protocol, TCP if not given. */
  public String protocolOrTcp() {
    return protocol == null ? "TCP" : protocol;
  }

  void validate() throws ProtocolException {
    if (containerPort < 1 || containerPort > 65535) {
      throw new ProtocolException(ProtocolException.Reason.INVALID,
          "container.ports[].containerPort must be 1..65535, was " + containerPort);
    }
    if (hostPort != null && (hostPort < 1 || hostPort > 65535)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID,
          "container.ports[].hostPort must be 1..65535, was " + hostPort);
    }
    if (protocol != null && !List.of("TCP", "UDP", "SCTP").contains(protocol)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID,
          "container.ports[].protocol must be TCP, UDP or SCTP, was '" + protocol + "'");
    }
  }
}
