package io.outpost.network.services;

import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.EndpointSliceV1.EndpointPortV1;
import io.outpost.protocol.EndpointSliceV1.EndpointV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.store.StoredSpec;
import java.util.List;

/** Services and EndpointSlices as the store holds them, for the tests. */
final class Objects {
  private Objects() {}

  static StoredSpec<ServiceV1> clusterIp(String ns, String name, String ip, ServicePortV1... ports) {
    return service(ns, name, new ServiceV1("ClusterIP", List.of(ip), List.of(ports), null, null, null, null, false,
        null));
  }

  static StoredSpec<ServiceV1> service(String ns, String name, ServiceV1 spec) {
    return new StoredSpec<>(new ObjectRef("Service", ns, name, "uid-" + name, "1"), spec);
  }

  static ServicePortV1 port(String name, int port, String target) {
    return new ServicePortV1(name, "TCP", port, target, null);
  }

  static ServicePortV1 nodePort(String name, int port, String target, int nodePort) {
    return new ServicePortV1(name, "TCP", port, target, nodePort);
  }

  static StoredSpec<EndpointSliceV1> slice(String ns, String name, String service, List<EndpointPortV1> ports,
      EndpointV1... endpoints) {
    return new StoredSpec<>(new ObjectRef("EndpointSlice", ns, name, "uid-" + name, "1"),
        new EndpointSliceV1(service, "IPv4", ports, List.of(endpoints)));
  }

  static EndpointPortV1 slicePort(String name, int port) {
    return new EndpointPortV1(name, "TCP", port);
  }

  static EndpointV1 ready(String ip, String node, String pod) {
    return new EndpointV1(List.of(ip), true, true, false, node, null, pod);
  }

  static EndpointV1 notReady(String ip, String node, String pod) {
    return new EndpointV1(List.of(ip), false, false, false, node, null, pod);
  }

  static EndpointV1 terminating(String ip, String node, String pod) {
    return new EndpointV1(List.of(ip), false, true, true, node, null, pod);
  }
}
