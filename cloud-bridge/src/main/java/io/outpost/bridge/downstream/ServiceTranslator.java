package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ServiceV1;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Translates Services and EndpointSlices (discovery.k8s.io/v1) faithfully into what an edge node programs
 * ({@link ServiceV1}, {@link EndpointSliceV1}); which endpoints of a slice a node is sent is the caller's choice
 * ({@link #slice(EndpointSlice, Set)}).
 */
final class ServiceTranslator {
  /** The label that names a slice's Service. */
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private ServiceTranslator() {}

  static ServiceV1 service(Service service) {
    ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
    List<String> clusterIPs = spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
        ? List.copyOf(spec.getClusterIPs()) : empty(spec.getClusterIP()) ? null : List.of(spec.getClusterIP());
    List<ServiceV1.ServicePortV1> ports = new ArrayList<>();
    if (spec.getPorts() != null) {
      for (ServicePort port : spec.getPorts()) {
        ports.add(new ServiceV1.ServicePortV1(emptyToNull(port.getName()), emptyToNull(port.getProtocol()),
            port.getPort() == null ? 0 : port.getPort(), text(port.getTargetPort()),
            port.getNodePort() == null || port.getNodePort() == 0 ? null : port.getNodePort()));
      }
    }
    Integer timeout = spec.getSessionAffinityConfig() == null || spec.getSessionAffinityConfig().getClientIP() == null
        ? null : spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds();
    return new ServiceV1(emptyToNull(spec.getType()), clusterIPs, ports.isEmpty() ? null : ports,
        emptyToNull(spec.getSessionAffinity()), timeout, emptyToNull(spec.getExternalTrafficPolicy()),
        emptyToNull(spec.getInternalTrafficPolicy()), Boolean.TRUE.equals(spec.getPublishNotReadyAddresses()),
        emptyToNull(spec.getExternalName()));
  }

  /** The Service a slice belongs to, or null if its label does not say (the slice is then not routed). */
  static String serviceOf(EndpointSlice slice) {
    return slice.getMetadata().getLabels() == null ? null
        : emptyToNull(slice.getMetadata().getLabels().get(SERVICE_NAME_LABEL));
  }

  /** The slice with only the endpoints on {@code nodes} (possibly none). */
  static EndpointSliceV1 slice(EndpointSlice slice, Set<String> nodes) {
    List<EndpointSliceV1.EndpointPortV1> ports = new ArrayList<>();
    if (slice.getPorts() != null) {
      for (EndpointPort port : slice.getPorts()) {
        ports.add(new EndpointSliceV1.EndpointPortV1(emptyToNull(port.getName()), emptyToNull(port.getProtocol()),
            port.getPort()));
      }
    }
    List<EndpointSliceV1.EndpointV1> endpoints = new ArrayList<>();
    if (slice.getEndpoints() != null) {
      for (Endpoint endpoint : slice.getEndpoints()) {
        if (endpoint.getNodeName() == null || !nodes.contains(endpoint.getNodeName())) {
          continue;
        }
        EndpointConditions conditions = endpoint.getConditions();
        String pod = endpoint.getTargetRef() != null && "Pod".equals(endpoint.getTargetRef().getKind())
            ? endpoint.getTargetRef().getName() : null;
        endpoints.add(new EndpointSliceV1.EndpointV1(endpoint.getAddresses() == null ? null
            : List.copyOf(endpoint.getAddresses()), conditions == null ? null : conditions.getReady(),
            conditions == null ? null : conditions.getServing(), conditions == null ? null
            : conditions.getTerminating(), endpoint.getNodeName(), emptyToNull(endpoint.getHostname()), pod));
      }
    }
    return new EndpointSliceV1(serviceOf(slice), slice.getAddressType(), ports.isEmpty() ? null : ports,
        endpoints.isEmpty() ? null : endpoints);
  }

  /** Kubernetes' int-or-string as text: {@code 8080} or {@code http}; null if not set. */
  private static String text(IntOrString value) {
    if (value == null) {
      return null;
    }
    if (value.getIntVal() != null) {
      return value.getIntVal().toString();
    }
    return emptyToNull(value.getStrVal());
  }

  private static boolean empty(String value) {
    return value == null || value.isEmpty();
  }

  private static String emptyToNull(String value) {
    return empty(value) ? null : value;
  }
}
