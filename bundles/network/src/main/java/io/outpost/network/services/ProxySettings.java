package io.outpost.network.services;

import io.outpost.network.site.Ipv4Range;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The validated configuration of Service forwarding; a bad value fails with a message naming its key.
 *
 * @param serviceCidrs the cluster's Service ranges: a ClusterIP outside them is refused (empty: any address that is
 *     not one of the node's own, loopback, link-local, multicast or a pod range)
 * @param readinessPeriod how often the local pods' readiness is looked at
 */
record ProxySettings(String nodeName, int nodePortMin, int nodePortMax, List<Ipv4Range> serviceCidrs,
    Duration readinessPeriod) {
  static final String DEFAULT_NODEPORT_RANGE = "30000-32767";

  ProxySettings {
    nodeName = nodeName == null ? "" : nodeName.strip();
    if (nodePortMin < 1 || nodePortMax > 65535 || nodePortMin > nodePortMax) {
      throw new IllegalArgumentException("nodeport.range must be <min>-<max> within 1-65535, was " + nodePortMin
          + "-" + nodePortMax);
    }
    serviceCidrs = List.copyOf(serviceCidrs);
    if (readinessPeriod.isNegative() || readinessPeriod.toMillis() < 100) {
      throw new IllegalArgumentException("readiness.period.millis must be at least 100, was "
          + readinessPeriod.toMillis());
    }
  }

  static ProxySettings from(ServicesConfig config) {
    String range = config.nodeport_range().strip();
    String[] bounds = range.split("-");
    if (bounds.length != 2 || !bounds[0].strip().matches("[0-9]{1,5}") || !bounds[1].strip().matches("[0-9]{1,5}")) {
      throw new IllegalArgumentException("nodeport.range must be <min>-<max>, e.g. 30000-32767, was '" + range + "'");
    }
    List<Ipv4Range> cidrs = new ArrayList<>();
    for (String cidr : config.service_cidrs().split(",")) {
      if (!cidr.isBlank()) {
        if (!Ipv4Range.isIpv4Cidr(cidr.strip())) {
          throw new IllegalArgumentException("service.cidrs must be IPv4 CIDR ranges, comma-separated; '" + cidr
              + "' is not one");
        }
        cidrs.add(Ipv4Range.parse(cidr.strip()));
      }
    }
    return new ProxySettings(config.node_name(), Integer.parseInt(bounds[0].strip()),
        Integer.parseInt(bounds[1].strip()), cidrs, Duration.ofMillis(config.readiness_period_millis()));
  }

  /** Defaults for {@code node} (tests and the renderer's unit tests). */
  static ProxySettings defaults(String node) {
    return new ProxySettings(node, 30000, 32767, List.of(), Duration.ofSeconds(1));
  }
}
