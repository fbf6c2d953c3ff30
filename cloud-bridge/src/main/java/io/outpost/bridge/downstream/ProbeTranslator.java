package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.outpost.protocol.ProbeV1;
import java.util.List;

/**
 * Translates a container's probes, resolving named ports against the container's own ports. A gRPC probe is refused
 * by the PodSpec contract (the pod does not start), and travels as {@code unsupported} all the same.
 */
final class ProbeTranslator {
  private ProbeTranslator() {}

  static ProbeV1.ProbesV1 probes(Container c) {
    ProbeV1 liveness = probe(c, c.getLivenessProbe());
    ProbeV1 readiness = probe(c, c.getReadinessProbe());
    ProbeV1 startup = probe(c, c.getStartupProbe());
    return liveness == null && readiness == null && startup == null ? null
        : new ProbeV1.ProbesV1(liveness, readiness, startup);
  }

  private static ProbeV1 probe(Container c, Probe p) {
    if (p == null) {
      return null;
    }
    List<String> exec = null;
    ProbeV1.HttpGetV1 http = null;
    Integer tcp = null;
    ProbeV1.GrpcV1 grpc = null;
    String unsupported = null;
    if (p.getExec() != null && p.getExec().getCommand() != null && !p.getExec().getCommand().isEmpty()) {
      exec = p.getExec().getCommand();
    } else if (p.getHttpGet() != null) {
      http = httpGet(c, p.getHttpGet());
      if (http == null) {
        unsupported = "httpGet port " + portText(p.getHttpGet().getPort()) + " is not a port of the container";
      }
    } else if (p.getTcpSocket() != null) {
      tcp = port(c, p.getTcpSocket().getPort());
      if (tcp == null) {
        unsupported = "tcpSocket port " + portText(p.getTcpSocket().getPort()) + " is not a port of the container";
      }
    } else if (p.getGrpc() != null) {
      Integer port = p.getGrpc().getPort();
      if (port != null && port >= 1 && port <= 65535) {
        grpc = new ProbeV1.GrpcV1(port, ContainerTranslator.emptyToNull(p.getGrpc().getService()));
      } else {
        unsupported = "grpc port " + port + " is not a port number";
      }
    } else {
      unsupported = "probe has no handler";
    }
    Long grace = p.getTerminationGracePeriodSeconds() != null && p.getTerminationGracePeriodSeconds() > 0
        ? p.getTerminationGracePeriodSeconds() : null;
    return new ProbeV1(exec, http, tcp, unsupported, p.getInitialDelaySeconds(), p.getPeriodSeconds(),
        p.getTimeoutSeconds(), p.getSuccessThreshold(), p.getFailureThreshold(), grpc, grace);
  }

  /**
   * An HTTP GET of a probe or a lifecycle hook, its port resolved against the container's; null if the port is not
   * one of the container's. {@code host} and headers are sent only when set, so that a plain GET encodes as before.
   */
  static ProbeV1.HttpGetV1 httpGet(Container c, HTTPGetAction get) {
    Integer port = port(c, get.getPort());
    if (port == null) {
      return null;
    }
    List<ProbeV1.HttpHeaderV1> headers = get.getHttpHeaders() == null ? List.of() : get.getHttpHeaders().stream()
        .filter(h -> h.getName() != null && !h.getName().isEmpty())
        .map(h -> new ProbeV1.HttpHeaderV1(h.getName(), h.getValue() == null ? "" : h.getValue())).toList();
    return new ProbeV1.HttpGetV1(get.getPath() == null || get.getPath().isEmpty() ? "/" : get.getPath(), port,
        get.getScheme(), ContainerTranslator.emptyToNull(get.getHost()), headers.isEmpty() ? null : headers);
  }

  /** A port number, or the number of the container's port of that name; null if neither. */
  static Integer port(Container c, IntOrString port) {
    if (port == null) {
      return null;
    }
    if (port.getIntVal() != null) {
      return port.getIntVal() >= 1 && port.getIntVal() <= 65535 ? port.getIntVal() : null;
    }
    if (c.getPorts() != null) {
      for (ContainerPort p : c.getPorts()) {
        if (port.getStrVal() != null && port.getStrVal().equals(p.getName())) {
          return p.getContainerPort();
        }
      }
    }
    return null;
  }

  static String portText(IntOrString port) {
    return port == null ? "(none)" : port.getIntVal() != null ? port.getIntVal().toString() : port.getStrVal();
  }
}
