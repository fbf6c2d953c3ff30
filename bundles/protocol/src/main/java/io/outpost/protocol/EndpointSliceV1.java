package io.outpost.protocol;

import java.util.List;
import java.util.Set;

/**
 * An EndpointSlice of a Service (kind {@code EndpointSlice}, store key {@code EndpointSlice/<namespace>/<name>}),
 * with only the endpoints of the receiving node's site: traffic of a site stays in the site. A slice whose endpoints
 * are all elsewhere is sent with no endpoints, so the node knows the Service has none in its site.
 *
 * @param service the owning Service's name (label {@code kubernetes.io/service-name})
 * @param addressType {@code IPv4}, {@code IPv6} or {@code FQDN}
 */
public record EndpointSliceV1(String service, String addressType, List<EndpointPortV1> ports,
    List<EndpointV1> endpoints) {

  /** Kubernetes' own limits: at most 1000 endpoints and 100 ports per slice, 100 addresses per endpoint. */
  public static final int MAX_ENDPOINTS = 1000;
  public static final int MAX_PORTS = 100;
  public static final int MAX_ADDRESSES = 100;

  /** A port of the slice; {@code port} null means "all ports" (a Service without a selector may say so). */
  public record EndpointPortV1(String name, String protocol, Integer port) {
    public String protocolOrTcp() {
      return protocol == null ? "TCP" : protocol;
    }
  }

  /**
   * One endpoint. {@code ready}/{@code serving}/{@code terminating} as the EndpointSlice API's conditions (null =
   * unknown: ready and serving are then taken as true, terminating as false). {@code pod}: the name of the Pod in
   * {@code targetRef}, if it is one; {@code nodeName} where it runs.
   */
  public record EndpointV1(List<String> addresses, Boolean ready, Boolean serving, Boolean terminating,
      String nodeName, String hostname, String pod) {
    @Override
    public List<String> addresses() {
      return addresses == null ? List.of() : addresses;
    }

    public boolean isReady() {
      return ready == null || ready;
    }

    public boolean isServing() {
      return serving == null ? isReady() : serving;
    }

    public boolean isTerminating() {
      return terminating != null && terminating;
    }
  }

  @Override
  public List<EndpointPortV1> ports() {
    return ports == null ? List.of() : ports;
  }

  @Override
  public List<EndpointV1> endpoints() {
    return endpoints == null ? List.of() : endpoints;
  }

  void validate() throws ProtocolException {
    Validation.require(service, "endpointSlice.service");
    Validation.requireMaxLength(service, 63, "endpointSlice.service");
    Validation.require(addressType, "endpointSlice.addressType");
    Validation.requireOneOf(addressType, Set.of("IPv4", "IPv6", "FQDN"), "endpointSlice.addressType");
    Validation.requireSize(ports, MAX_PORTS, "endpointSlice.ports");
    for (EndpointPortV1 port : ports()) {
      Validation.requirePort(port.port(), "endpointSlice.ports[].port");
      Validation.requireOneOf(port.protocol(), ServiceV1.PROTOCOLS, "endpointSlice.ports[].protocol");
      Validation.requireMaxLength(port.name(), 63, "endpointSlice.ports[].name");
    }
    Validation.requireSize(endpoints, MAX_ENDPOINTS, "endpointSlice.endpoints");
    for (EndpointV1 endpoint : endpoints()) {
      if (endpoint.addresses().isEmpty()) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "endpointSlice.endpoints[].addresses is empty");
      }
      Validation.requireSize(endpoint.addresses(), MAX_ADDRESSES, "endpointSlice.endpoints[].addresses");
      for (String address : endpoint.addresses()) {
        if ("IPv4".equals(addressType) ? !IpLiterals.isIpv4(address)
            : "IPv6".equals(addressType) ? !IpLiterals.isIpv6(address) : address.isEmpty() || address.length() > 253) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "endpointSlice.endpoints[].addresses: '"
              + Validation.clip(address) + "' is not an " + addressType + " address");
        }
      }
      Validation.requireMaxLength(endpoint.nodeName(), 253, "endpointSlice.endpoints[].nodeName");
      Validation.requireMaxLength(endpoint.hostname(), 63, "endpointSlice.endpoints[].hostname");
      Validation.requireMaxLength(endpoint.pod(), 253, "endpointSlice.endpoints[].pod");
    }
  }
}
