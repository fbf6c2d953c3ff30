package io.outpost.network.services;

import io.outpost.network.services.Plan.Endpoint;
import io.outpost.network.services.Plan.PortProgram;
import io.outpost.network.services.Plan.Refusal;
import io.outpost.network.site.Ipv4Range;
import io.outpost.protocol.IpLiterals;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.store.StoredSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides what the node programs from the store's Services and EndpointSlices: which Services it refuses (and why),
 * and for each other Service port its endpoints ({@link ServiceEndpoints}). Pure: same input, same plan.
 *
 * <p>A Service is refused, whole, when a port's protocol is not TCP or UDP, its IPv4 ClusterIP is one the node must
 * never intercept (loopback, link-local, multicast, unspecified, broadcast, one of the node's own addresses, inside a
 * site pod range, or outside the configured Service ranges), a NodePort lies outside the NodePort range, or a
 * NodePort or ClusterIP port is already taken by another Service. Contested resources go to the Service that held
 * them in the previous rendering, else to the first by namespace/name. Headless and ExternalName Services, and IPv6
 * ClusterIPs, are not forwarded (nothing refused: IPv4 only for now).
 */
final class ServicePlanner {
  private ServicePlanner() {}

  static Plan plan(ProxyInput input) {
    List<StoredSpec<ServiceV1>> ordered = new ArrayList<>(input.services());
    ordered.sort(Comparator.comparing((StoredSpec<ServiceV1> s) -> !input.incumbents().contains(s.ref().key()))
        .thenComparing(s -> s.ref().key()));
    ServiceEndpoints endpoints = new ServiceEndpoints(input.slices(), input.localPods(), input.settings().nodeName());
    Map<String, String> nodePorts = new HashMap<>();
    Map<String, String> clusterPorts = new HashMap<>();
    Map<String, Refusal> refused = new LinkedHashMap<>();
    List<PortProgram> ports = new ArrayList<>();
    for (StoredSpec<ServiceV1> stored : ordered) {
      ServiceV1 service = stored.spec();
      if ("ExternalName".equals(service.typeOrDefault()) || service.headless()) {
        continue;
      }
      String key = stored.ref().key();
      String clusterIp = service.clusterIPs().stream().filter(IpLiterals::isIpv4).findFirst().orElse(null);
      String reason = check(service, clusterIp, input);
      Map<String, String> claimsNode = new HashMap<>();
      Map<String, String> claimsCluster = new HashMap<>();
      for (int i = 0; reason == null && i < service.ports().size(); i++) {
        ServicePortV1 port = service.ports().get(i);
        String protocol = port.protocolOrTcp().toLowerCase(Locale.ROOT);
        if (service.hasNodePorts() && port.nodePort() != null) {
          String claim = protocol + "/" + port.nodePort();
          String owner = nodePorts.getOrDefault(claim, claimsNode.get(claim));
          reason = owner == null ? null : "nodePort " + port.nodePort() + "/" + port.protocolOrTcp()
              + " is already used by Service " + owner;
          claimsNode.put(claim, display(stored));
        }
        if (reason == null && clusterIp != null) {
          String claim = clusterIp + "/" + protocol + "/" + port.port();
          String owner = clusterPorts.getOrDefault(claim, claimsCluster.get(claim));
          reason = owner == null ? null : clusterIp + ":" + port.port() + "/" + port.protocolOrTcp()
              + " is already used by Service " + owner;
          claimsCluster.put(claim, display(stored));
        }
      }
      if (reason != null) {
        refused.put(key, new Refusal(stored.ref(), reason));
        continue;
      }
      nodePorts.putAll(claimsNode);
      clusterPorts.putAll(claimsCluster);
      for (ServicePortV1 port : service.ports()) {
        List<Endpoint> eps = endpoints.of(stored.ref().namespace(), stored.ref().name(), service, port);
        Integer nodePort = service.hasNodePorts() ? port.nodePort() : null;
        if (clusterIp == null && nodePort == null) {
          continue;
        }
        String protocol = port.protocolOrTcp().toLowerCase(Locale.ROOT);
        ports.add(new PortProgram(key, id(stored, protocol, port.port()), protocol, clusterIp, port.port(), nodePort,
            eps, "Local".equals(service.internalTrafficPolicy()), "Local".equals(service.externalTrafficPolicy()),
            "ClientIP".equals(service.sessionAffinity()) ? affinity(service) : null));
      }
    }
    ports.sort(Comparator.comparing(PortProgram::id));
    return new Plan(List.copyOf(ports), refused);
  }

  private static int affinity(ServiceV1 service) {
    Integer seconds = service.sessionAffinityTimeoutSeconds();
    return seconds == null ? 10_800 : seconds;
  }

  /** Why the Service as a whole cannot be programmed, or null. */
  private static String check(ServiceV1 service, String clusterIp, ProxyInput input) {
    for (ServicePortV1 port : service.ports()) {
      String protocol = port.protocolOrTcp();
      if (!"TCP".equals(protocol) && !"UDP".equals(protocol)) {
        return "port " + describe(port) + ": protocol " + protocol
            + " is not supported by this node's Service forwarding (TCP and UDP only)";
      }
      if (service.hasNodePorts() && port.nodePort() != null && (port.nodePort() < input.settings().nodePortMin()
          || port.nodePort() > input.settings().nodePortMax())) {
        return "nodePort " + port.nodePort() + " of port " + describe(port) + " is outside this node's NodePort range "
            + input.settings().nodePortMin() + "-" + input.settings().nodePortMax();
      }
    }
    if (clusterIp == null) {
      return null;
    }
    int address = Ipv4Range.address(clusterIp);
    int first = address >>> 24;
    if (first == 0 || first == 127 || first >= 224 || (address >>> 16) == ((169 << 8) | 254)) {
      return "clusterIP " + clusterIp + " is not a unicast address this node may intercept";
    }
    if (input.nodeAddresses().contains(clusterIp)) {
      return "clusterIP " + clusterIp + " is one of this node's own addresses";
    }
    for (Ipv4Range range : input.podRanges()) {
      if (range.contains(address)) {
        return "clusterIP " + clusterIp + " lies in the site's pod range " + range;
      }
    }
    List<Ipv4Range> allowed = input.settings().serviceCidrs();
    if (!allowed.isEmpty() && allowed.stream().noneMatch(range -> range.contains(address))) {
      return "clusterIP " + clusterIp + " is outside the cluster's Service ranges " + allowed;
    }
    return null;
  }

  private static String describe(ServicePortV1 port) {
    return port.name() == null || port.name().isEmpty() ? Integer.toString(port.port())
        : port.name() + " (" + port.port() + ")";
  }

  private static String display(StoredSpec<ServiceV1> stored) {
    return stored.ref().namespace() + "/" + stored.ref().name();
  }

  /**
   * A name for the Service port that nftables accepts in identifiers: readable ({@code <ns>-<name>-<proto><port>},
   * every character outside {@code [a-z0-9-]} replaced by '_', at most 100) and unique (8 hex digits of a digest of
   * the exact namespace, name, protocol and port).
   */
  static String id(StoredSpec<ServiceV1> stored, String protocol, int port) {
    String exact = stored.ref().namespace() + "/" + stored.ref().name() + "/" + protocol + "/" + port;
    String readable = (stored.ref().namespace() + "-" + stored.ref().name()).replaceAll("[^a-z0-9-]", "_");
    if (readable.length() > 100) {
      readable = readable.substring(0, 100);
    }
    return readable + "-" + protocol + port + "-" + digest(exact);
  }

  private static String digest(String text) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
