package io.outpost.bridge;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The bridge's informers, one per kind over the whole cluster: edge Nodes (by label), Pods (indexed by node),
 * ConfigMaps, Secrets and, unless switched off, KubeEdge Devices (indexed by node) and DeviceModels. They are the
 * only reads the bridge makes: every answer to an edge comes from these caches.
 */
final class Informers implements NodeContents.Caches {
  private static final String NODE_INDEX = "spec.nodeName";

  final SharedIndexInformer<Node> nodes;
  final SharedIndexInformer<Pod> pods;
  final SharedIndexInformer<ConfigMap> configMaps;
  final SharedIndexInformer<Secret> secrets;
  /** Null when the bridge serves no devices (OUTPOST_DEVICES=false). */
  final SharedIndexInformer<GenericKubernetesResource> devices;
  final SharedIndexInformer<GenericKubernetesResource> deviceModels;

  Informers(KubernetesClient client, BridgeConfig config) {
    nodes = client.nodes().withLabel(config.edgeLabelKey(), config.edgeLabelValue()).runnableInformer(0);
    pods = client.pods().inAnyNamespace()
        .withIndexers(Map.of(NODE_INDEX, pod -> List.of(Objects.toString(pod.getSpec().getNodeName(), ""))))
        .runnableInformer(0);
    configMaps = client.configMaps().inAnyNamespace().runnableInformer(0);
    secrets = client.secrets().inAnyNamespace().runnableInformer(0);
    if (config.devices()) {
      devices = client.genericKubernetesResources(DeviceTranslator.DEVICES)
          .inAnyNamespace().withIndexers(Map.of(NODE_INDEX, device -> List.of(DeviceTranslator.nodeName(device))))
          .runnableInformer(0);
      deviceModels = client.genericKubernetesResources(DeviceTranslator.DEVICE_MODELS)
          .inAnyNamespace().runnableInformer(0);
    } else {
      devices = null;
      deviceModels = null;
    }
  }

  List<SharedIndexInformer<?>> all() {
    List<SharedIndexInformer<?>> all = new ArrayList<>(List.of(nodes, pods, configMaps, secrets));
    if (devices != null) {
      all.add(devices);
      all.add(deviceModels);
    }
    return all;
  }

  /** Starts every informer and waits for its first list; a kind the API server does not serve is named. */
  void start() throws Exception {
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

  boolean synced() {
    return all().stream().allMatch(SharedIndexInformer::hasSynced);
  }

  void stop() {
    all().forEach(SharedIndexInformer::stop);
  }

  String counts() {
    return nodes.getStore().list().size() + " edge nodes, " + pods.getStore().list().size() + " pods, "
        + configMaps.getStore().list().size() + " ConfigMaps, " + secrets.getStore().list().size() + " Secrets"
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
    // Onboarding's own Secrets (join-token hashes) are never sent to a node, whatever a pod references.
    return secret != null && secret.getMetadata().getLabels() != null
        && secret.getMetadata().getLabels().containsKey(io.outpost.bridge.join.JoinTokens.LABEL) ? null : secret;
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

  /** A Device by namespace and name, or null. */
  GenericKubernetesResource device(String namespace, String name) {
    return devices == null ? null : devices.getStore().getByKey(namespace + "/" + name);
  }
}
