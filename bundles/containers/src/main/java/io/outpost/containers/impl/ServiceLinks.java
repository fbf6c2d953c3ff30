package io.outpost.containers.impl;

import io.outpost.protocol.ServiceV1;
import io.outpost.store.DesiredState;
import io.outpost.store.StoredSpec;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Service environment variables the kubelet gives a container ({@code kubelet_pods.go getServiceEnvVarMap},
 * {@code pkg/kubelet/envvars FromServices}), from the Services the store holds when the container is created (a
 * Service that arrives later reaches only containers created after it, as on a kubelet): for each Service with a
 * cluster IP (not headless, not ExternalName) of the pod's namespace when {@code enableServiceLinks} is true, and
 * always for the {@code kubernetes} Service of the {@code default} namespace (a Service of that name in the pod's own
 * namespace takes its place when links are on), {@code <NAME>_SERVICE_HOST}, {@code <NAME>_SERVICE_PORT} (first
 * port), {@code <NAME>_SERVICE_PORT_<PORT NAME>} per named port, and Docker's link variables: {@code <NAME>_PORT}
 * ({@code <proto>://<ip>:<port>} of the first port), {@code <NAME>_PORT_<port>_<PROTO>} with {@code _PROTO},
 * {@code _PORT} and {@code _ADDR} per port; the name upper-cased with {@code -} as {@code _}, an IPv6 address in
 * brackets where it is joined with a port. The kubelet's order is a Go map's (random); here Services come by name and
 * each Service's variables in the kubelet's order.
 */
final class ServiceLinks {
  /** The master Services whose variables every pod gets ({@code masterServices}). */
  static final String MASTER = "kubernetes";
  static final String MASTER_NAMESPACE = "default";

  private ServiceLinks() {}

  /** The variables for a container of a pod in {@code namespace}, name → value. */
  static Map<String, String> variables(DesiredState store, String namespace, boolean enableServiceLinks) {
    Map<String, StoredSpec<ServiceV1>> byName = new TreeMap<>();
    for (StoredSpec<ServiceV1> service : store.services()) {
      if (clusterIP(service.spec()) == null) {
        continue;
      }
      String name = service.ref().name();
      if (MASTER_NAMESPACE.equals(service.ref().namespace()) && MASTER.equals(name)) {
        byName.putIfAbsent(name, service);
      } else if (enableServiceLinks && service.ref().namespace() != null
          && service.ref().namespace().equals(namespace)) {
        byName.put(name, service);
      }
    }
    Map<String, String> variables = new LinkedHashMap<>();
    byName.values().forEach(service -> add(variables, service.ref().name(), service.spec()));
    return variables;
  }

  /** The Service's cluster IP ({@code spec.clusterIP}: the first of {@code clusterIPs}), null if none or headless. */
  static String clusterIP(ServiceV1 service) {
    if (service == null || service.clusterIPs().isEmpty()) {
      return null;
    }
    String ip = service.clusterIPs().get(0);
    return ip == null || ip.isEmpty() || ServiceV1.HEADLESS.equals(ip) ? null : ip;
  }

  private static void add(Map<String, String> variables, String serviceName, ServiceV1 service) {
    String ip = clusterIP(service);
    String prefix = name(serviceName);
    variables.put(prefix + "_SERVICE_HOST", ip);
    if (service.ports().isEmpty()) {
      return; // the API server requires a port of a Service with a cluster IP; nothing more to say without one
    }
    variables.put(prefix + "_SERVICE_PORT", Integer.toString(service.ports().get(0).port()));
    for (ServiceV1.ServicePortV1 port : service.ports()) {
      if (port.name() != null && !port.name().isEmpty()) {
        variables.put(prefix + "_SERVICE_PORT_" + name(port.name()), Integer.toString(port.port()));
      }
    }
    String host = ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip;
    boolean first = true;
    for (ServiceV1.ServicePortV1 port : service.ports()) {
      String protocol = port.protocolOrTcp();
      String url = protocol.toLowerCase(Locale.ROOT) + "://" + host + ":" + port.port();
      if (first) {
        variables.put(prefix + "_PORT", url);
        first = false;
      }
      String portPrefix = prefix + "_PORT_" + port.port() + "_" + protocol.toUpperCase(Locale.ROOT);
      variables.put(portPrefix, url);
      variables.put(portPrefix + "_PROTO", protocol.toLowerCase(Locale.ROOT));
      variables.put(portPrefix + "_PORT", Integer.toString(port.port()));
      variables.put(portPrefix + "_ADDR", ip);
    }
  }

  /** The kubelet's {@code makeEnvVariableName}: upper case, {@code -} as {@code _}. */
  static String name(String value) {
    return value.replace('-', '_').toUpperCase(Locale.ROOT);
  }
}
