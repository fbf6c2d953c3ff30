package io.outpost.network.services;

import io.outpost.network.services.Plan.Endpoint;
import io.outpost.network.site.Ipv4Range;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.EndpointSliceV1.EndpointPortV1;
import io.outpost.protocol.EndpointSliceV1.EndpointV1;
import io.outpost.protocol.IpLiterals;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.store.StoredSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The endpoints of a Service port, from the IPv4 EndpointSlices of the Service (the site's endpoints only), as
 * kube-proxy picks them: the slice port of the same name and protocol gives the target port (so a named
 * {@code targetPort} is resolved as each pod declares it); ready endpoints, or if there are none the serving
 * terminating ones. For this node's own pods the container manager's view wins over the slice: its readiness and its
 * current pod address (a pod whose sandbox was recreated while the site was cut off has a new one). Addresses the
 * node must never forward to (loopback, link-local, multicast, unspecified) are left out.
 */
final class ServiceEndpoints {
  private final Map<String, List<EndpointSliceV1>> byService = new HashMap<>();
  private final Map<String, LocalPod> localPods;
  private final String nodeName;

  ServiceEndpoints(List<StoredSpec<EndpointSliceV1>> slices, Map<String, LocalPod> localPods, String nodeName) {
    for (StoredSpec<EndpointSliceV1> slice : slices) {
      if ("IPv4".equals(slice.spec().addressType())) {
        byService.computeIfAbsent(slice.ref().namespace() + "/" + slice.spec().service(), k -> new ArrayList<>())
            .add(slice.spec());
      }
    }
    this.localPods = localPods;
    this.nodeName = nodeName;
  }

  private record Candidate(Endpoint endpoint, boolean ready, boolean servingTerminating) {}

  List<Endpoint> of(String namespace, String name, ServiceV1 service, ServicePortV1 port) {
    List<Candidate> candidates = new ArrayList<>();
    for (EndpointSliceV1 slice : byService.getOrDefault(namespace + "/" + name, List.of())) {
      EndpointPortV1 match = slice.ports().stream().filter(p -> sameName(p.name(), port.name())
          && p.protocolOrTcp().equals(port.protocolOrTcp())).findFirst().orElse(null);
      if (match == null) {
        continue;
      }
      int target = match.port() != null ? match.port() : numericTarget(port);
      for (EndpointV1 endpoint : slice.endpoints()) {
        Candidate candidate = candidate(namespace, endpoint, target, service.publishNotReadyAddresses());
        if (candidate != null) {
          candidates.add(candidate);
        }
      }
    }
    List<Candidate> ready = candidates.stream().filter(Candidate::ready).toList();
    List<Candidate> chosen = !ready.isEmpty() ? ready
        : candidates.stream().filter(Candidate::servingTerminating).toList();
    Set<Endpoint> unique = new LinkedHashSet<>();
    chosen.forEach(c -> unique.add(c.endpoint()));
    List<Endpoint> sorted = new ArrayList<>(unique);
    sorted.sort(Comparator.comparingLong((Endpoint e) -> Integer.toUnsignedLong(Ipv4Range.address(e.ip())))
        .thenComparingInt(Endpoint::port));
    return List.copyOf(sorted);
  }

  private Candidate candidate(String namespace, EndpointV1 endpoint, int target, boolean publishNotReady) {
    if (endpoint.addresses().isEmpty()) {
      return null;
    }
    String ip = endpoint.addresses().get(0);
    boolean ready = endpoint.isReady();
    boolean local = nodeName.equals(endpoint.nodeName());
    LocalPod pod = localPods == null || endpoint.pod() == null ? null : localPods.get(namespace + "/" + endpoint.pod());
    if (pod != null && local) {
      ready = publishNotReady || pod.ready();
      ip = pod.ip() != null ? pod.ip() : ip;
    }
    if (!forwardable(ip)) {
      return null;
    }
    boolean servingTerminating = endpoint.isServing() && endpoint.isTerminating();
    return new Candidate(new Endpoint(ip, target, local), ready, servingTerminating);
  }

  /** Unicast and not loopback, link-local or unspecified. */
  static boolean forwardable(String ip) {
    if (!IpLiterals.isIpv4(ip)) {
      return false;
    }
    int address = Ipv4Range.address(ip);
    int first = address >>> 24;
    return first != 0 && first != 127 && first < 224 && (address >>> 16) != ((169 << 8) | 254);
  }

  private static boolean sameName(String a, String b) {
    return Objects.equals(a == null ? "" : a, b == null ? "" : b);
  }

  /** A slice port without a number ("all ports"): the numeric targetPort, else the Service port. */
  private static int numericTarget(ServicePortV1 port) {
    String target = port.targetPort();
    return target != null && target.matches("[0-9]{1,5}") ? Integer.parseInt(target) : port.port();
  }
}
