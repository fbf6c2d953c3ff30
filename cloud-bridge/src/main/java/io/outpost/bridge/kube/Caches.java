package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;

/** Read access to the informer caches: what the bridge knows of the cluster, without a request to the API server. */
public interface Caches {
  List<Pod> podsOn(String node);

  ConfigMap configMap(String namespace, String name);

  Secret secret(String namespace, String name);

  /** The edge Node object, or null. */
  Node node(String name);

  /** The KubeEdge Devices bound to the node (none if the bridge serves no devices). */
  List<GenericKubernetesResource> devicesOn(String node);

  /** A KubeEdge DeviceModel, or null. */
  GenericKubernetesResource deviceModel(String namespace, String name);

  /** Every Service of the cluster. */
  List<Service> services();

  /** Every EndpointSlice (discovery.k8s.io/v1) of the cluster. */
  List<EndpointSlice> endpointSlices();
}
