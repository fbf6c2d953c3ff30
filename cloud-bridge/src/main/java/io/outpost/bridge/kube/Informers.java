package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.outpost.bridge.config.BridgeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The bridge's informers, one per kind over the whole cluster: edge Nodes (by label), Pods (indexed by node),
 * ConfigMaps, Secrets, Services and EndpointSlices (site networking) and, unless switched off, KubeEdge Devices
 * (indexed by node) and DeviceModels. They are the
 * only reads the bridge makes: every answer to an edge comes from these caches.
 */
public final class Informers implements Caches {
  private static final String NODE_INDEX = "spec.nodeName";

  private final SharedIndexInformer<Node> nodes;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<ConfigMap> configMaps;
  private final SharedIndexInformer<Secret> secrets;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<EndpointSlice> endpointSlices;
  /** Null when the bridge serves no devices (OUTPOST_DEVICES=false). */
  private final SharedIndexInformer<GenericKubernetesResource> devices;
  private final SharedIndexInformer<GenericKubernetesResource> deviceModels;

  /** Secrets with this label are the bridge's own (join-token hashes): never handed out, whatever a pod references. */
  private final String privateSecretLabel;

  public Informers(KubernetesClient client, BridgeConfig config, String privateSecretLabel) {
    this.privateSecretLabel = privateSecretLabel;
    nodes = client.nodes().withLabel(config.edgeLabelKey(), config.edgeLabelValue()).runnableInformer(0);
    pods = client.pods().inAnyNamespace()
        .withIndexers(Map.of(NODE_INDEX, pod -> List.of(Objects.toString(pod.getSpec().getNodeName(), ""))))
        .runnableInformer(0);
    configMaps = client.configMaps().inAnyNamespace().runnableInformer(0);
    secrets = client.secrets().inAnyNamespace().runnableInformer(0);
    services = client.services().inAnyNamespace().runnableInformer(0);
    endpointSlices = client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0);
    if (config.devices()) {
      devices = client.genericKubernetesResources(Devices.DEVICES)
          .inAnyNamespace().withIndexers(Map.of(NODE_INDEX, device -> List.of(Devices.nodeName(device))))
          .runnableInformer(0);
      deviceModels = client.genericKubernetesResources(Devices.DEVICE_MODELS)
          .inAnyNamespace().runnableInformer(0);
    } else {
      devices = null;
      deviceModels = null;
    }
  }

  public SharedIndexInformer<Node> nodes() {
    return nodes;
  }

  public SharedIndexInformer<Pod> pods() {
    return pods;
  }

  public SharedIndexInformer<ConfigMap> configMaps() {
    return configMaps;
  }

  public SharedIndexInformer<Secret> secrets() {
    return secrets;
  }

  public SharedIndexInformer<Service> serviceInformer() {
    return services;
  }

  public SharedIndexInformer<EndpointSlice> endpointSliceInformer() {
    return endpointSlices;
  }

  /** Null when the bridge serves no devices. */
  public SharedIndexInformer<GenericKubernetesResource> devices() {
    return devices;
  }

  /** Null when the bridge serves no devices. */
  public SharedIndexInformer<GenericKubernetesResource> deviceModels() {
    return deviceModels;
  }

  /** A Pod by namespace and name, or null. */
  public Pod pod(String namespace, String name) {
    return pods.getStore().getByKey(namespace + "/" + name);
  }

  /** The edge Nodes whose Ready condition is True. */
  public long readyNodes() {
    return nodes.getStore().list().stream().filter(Informers::ready).count();
  }

  private static boolean ready(Node node) {
    return node.getStatus() != null && node.getStatus().getConditions() != null && node.getStatus().getConditions()
        .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private List<SharedIndexInformer<?>> all() {
    List<SharedIndexInformer<?>> all = new ArrayList<>(List.of(nodes, pods, configMaps, secrets, services,
        endpointSlices));
    if (devices != null) {
      all.add(devices);
      all.add(deviceModels);
    }
    return all;
  }

  /** Starts every informer and waits for its first list; a kind the API server does not serve is named. */
  public void start() throws Exception {
    for (SharedIndexInformer<?> informer : all()) {
      try {
        informer.start().toCompletableFuture().get(2, TimeUnit.MINUTES);
      } catch (ExecutionException | TimeoutException e) {
        if (informer == devices || informer == deviceModels) {
          throw new IllegalStateException("cannot list devices.kubeedge.io/v1beta1 Devices and DeviceModels: apply "
              + "deploy/kubernetes/05-device-crds.yaml (and 10-rbac.yaml), or set OUTPOST_DEVICES=false", e);
        }
        throw e;
      }
    }
  }

  public boolean synced() {
    return all().stream().allMatch(SharedIndexInformer::hasSynced);
  }

  public void stop() {
    all().forEach(SharedIndexInformer::stop);
  }

  public String counts() {
    return nodes.getStore().list().size() + " edge nodes, " + pods.getStore().list().size() + " pods, "
        + configMaps.getStore().list().size() + " ConfigMaps, " + secrets.getStore().list().size() + " Secrets, "
        + services.getStore().list().size() + " Services, " + endpointSlices.getStore().list().size()
        + " EndpointSlices"
        + (devices == null ? ", devices off" : ", " + devices.getStore().list().size() + " Devices, "
            + deviceModels.getStore().list().size() + " DeviceModels");
  }

  @Override
  public List<Pod> podsOn(String node) {
    return pods.getIndexer().byIndex(NODE_INDEX, node);
  }

  @Override
  public ConfigMap configMap(String namespace, String name) {
    return configMaps.getStore().getByKey(namespace + "/" + name);
  }

  @Override
  public Secret secret(String namespace, String name) {
    Secret secret = secrets.getStore().getByKey(namespace + "/" + name);
    return secret != null && secret.getMetadata().getLabels() != null
        && secret.getMetadata().getLabels().containsKey(privateSecretLabel) ? null : secret;
  }

  @Override
  public Node node(String name) {
    return nodes.getStore().getByKey(name);
  }

  @Override
  public List<GenericKubernetesResource> devicesOn(String node) {
    return devices == null || node.isEmpty() ? List.of() : devices.getIndexer().byIndex(NODE_INDEX, node);
  }

  @Override
  public GenericKubernetesResource deviceModel(String namespace, String name) {
    return deviceModels == null ? null : deviceModels.getStore().getByKey(namespace + "/" + name);
  }

  @Override
  public List<Service> services() {
    return services.getStore().list();
  }

  @Override
  public List<EndpointSlice> endpointSlices() {
    return endpointSlices.getStore().list();
  }

  /** A Service by namespace and name, or null. */
  public Service service(String namespace, String name) {
    return services.getStore().getByKey(namespace + "/" + name);
  }

  /** Every edge Node of the cache. */
  public List<Node> edgeNodes() {
    return nodes.getStore().list();
  }

  /** A Device by namespace and name, or null. */
  public GenericKubernetesResource device(String namespace, String name) {
    return devices == null ? null : devices.getStore().getByKey(namespace + "/" + name);
  }
}
