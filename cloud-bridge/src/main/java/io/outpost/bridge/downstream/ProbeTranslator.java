package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.outpost.protocol.ProbeV1;

/** Translates a container's probes, resolving named ports against the container's own ports. */
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
    java.util.List<String> exec = null;
    ProbeV1.HttpGetV1 http = null;
    Integer tcp = null;
    String unsupported = null;
    if (p.getExec() != null && p.getExec().getCommand() != null && !p.getExec().getCommand().isEmpty()) {
      exec = p.getExec().getCommand();
    } else if (p.getHttpGet() != null) {
      Integer port = port(c, p.getHttpGet().getPort());
      if (port == null) {
        unsupported = "httpGet port " + portText(p.getHttpGet().getPort()) + " is not a port of the container";
      } else {
        http = new ProbeV1.HttpGetV1(p.getHttpGet().getPath() == null ? "/" : p.getHttpGet().getPath(), port,
            p.getHttpGet().getScheme());
      }
    } else if (p.getTcpSocket() != null) {
      tcp = port(c, p.getTcpSocket().getPort());
      if (tcp == null) {
        unsupported = "tcpSocket port " + portText(p.getTcpSocket().getPort()) + " is not a port of the container";
      }
    } else {
      unsupported = p.getGrpc() != null ? "gRPC probes are not supported on edge nodes" : "probe has no handler";
    }
    return new ProbeV1(exec, http, tcp, unsupported, p.getInitialDelaySeconds(), p.getPeriodSeconds(),
        p.getTimeoutSeconds(), p.getSuccessThreshold(), p.getFailureThreshold());
  }

  private static Integer port(Container c, IntOrString port) {
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

  private static String portText(IntOrString port) {
    return port == null ? "(none)" : port.getIntVal() != null ? port.getIntVal().toString() : port.getStrVal();
  }
}
