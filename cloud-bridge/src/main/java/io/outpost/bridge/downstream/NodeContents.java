package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.outpost.bridge.kube.Caches;
import io.outpost.bridge.kube.ServiceAccountTokens;
import io.outpost.protocol.ContentHash;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceAccountTokensV1;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each node should hold, computed from the informer caches — least privilege: its own Node object, the
 * ConfigMaps and Secrets its pods reference, the DeviceModels of its Devices, its pods and the Devices bound to it,
 * nothing else — and the index from shared objects (ConfigMaps, Secrets, DeviceModels) to the nodes that use them,
 * so that a change of one reaches exactly those nodes. The index is updated atomically (any thread may read it).
 */
final class NodeContents {
  /** What a node should hold for a key. */
  record Wanted(ObjectRef ref, Object body) {
    /** The ref as sent and as digests name it: with the body's content hash (computed on demand). */
    ObjectRef hashedRef() {
      return ref.withHash(ContentHash.of(body));
    }
  }

  private final Caches cache;
  /** The pods' bound ServiceAccount tokens, or null (none are sent). */
  private final ServiceAccountTokens tokens;
  /** Shared object store key → nodes using it (whether or not it exists). Updated atomically. */
  private final Map<String, Set<String>> referencedBy = new ConcurrentHashMap<>();
  /** The reverse: node → the keys it uses. */
  private final Map<String, Set<String>> references = new ConcurrentHashMap<>();

  NodeContents(Caches cache) {
    this(cache, null);
  }

  NodeContents(Caches cache, ServiceAccountTokens tokens) {
    this.cache = cache;
    this.tokens = tokens;
  }

  /** The nodes using a ConfigMap, Secret or DeviceModel (any thread): they reconcile when it changes. */
  Set<String> nodesReferencing(String key) {
    Set<String> nodes = referencedBy.get(key);
    return nodes == null ? Set.of() : Set.copyOf(nodes);
  }

  /**
   * Everything the node should hold, dependencies first: its Node object, the ConfigMaps, Secrets and DeviceModels
   * its pods and Devices use (those that exist), then the pods and Devices. Also refreshes the reference index.
   */
  Map<String, Wanted> desired(String node) {
    Map<String, Wanted> objects = new LinkedHashMap<>();
    Node self = cache.node(node);
    if (self != null) {
      ObjectRef ref = ObjectTranslator.ref(Downstream.KIND_NODE, self);
      objects.put(ref.key(), new Wanted(ref, ObjectTranslator.node(self)));
    }
    List<Pod> pods = new ArrayList<>(cache.podsOn(node));
    pods.sort(Comparator.comparing(PodTranslator::key));
    List<GenericKubernetesResource> devices = new ArrayList<>(cache.devicesOn(node));
    devices.sort(Comparator.comparing(DeviceTranslator::key));
    Set<String> keys = new TreeSet<>();
    pods.forEach(pod -> keys.addAll(References.of(pod)));
    for (GenericKubernetesResource device : devices) {
      String model = DeviceTranslator.modelKey(device);
      if (model != null) {
        keys.add(model);
      }
    }
    index(node, keys);
    for (String key : keys) {
      Wanted shared = shared(key);
      if (shared != null) {
        objects.put(key, shared);
      }
    }
    for (Pod pod : pods) {
      ObjectRef ref = PodTranslator.ref(pod);
      objects.put(ref.key(), new Wanted(ref, PodTranslator.toEdge(pod)));
    }
    for (GenericKubernetesResource device : devices) {
      ObjectRef ref = ObjectTranslator.ref(Downstream.KIND_DEVICE, device);
      objects.put(ref.key(), new Wanted(ref, DeviceTranslator.device(device)));
    }
    if (tokens != null) {
      tokens.retain(node, pods);
      for (Pod pod : pods) {
        ServiceAccountTokensV1 issued = tokens.tokens(pod); // after its pod: a token belongs to one pod
        if (issued != null) {
          ObjectRef ref = ObjectTranslator.tokensRef(pod, issued);
          objects.put(ref.key(), new Wanted(ref, issued));
        }
      }
    }
    return objects;
  }

  /** A ConfigMap, Secret or DeviceModel by store key, if it exists. */
  private Wanted shared(String key) {
    String[] parts = key.split("/", 3);
    switch (parts[0]) {
      case Downstream.KIND_CONFIG_MAP -> {
        ConfigMap configMap = cache.configMap(parts[1], parts[2]);
        return configMap == null ? null : new Wanted(ObjectTranslator.ref(parts[0], configMap),
            ObjectTranslator.configMap(configMap));
      }
      case Downstream.KIND_SECRET -> {
        Secret secret = cache.secret(parts[1], parts[2]);
        return secret == null ? null : new Wanted(ObjectTranslator.ref(parts[0], secret),
            ObjectTranslator.secret(secret));
      }
      case Downstream.KIND_DEVICE_MODEL -> {
        GenericKubernetesResource model = cache.deviceModel(parts[1], parts[2]);
        return model == null ? null : new Wanted(ObjectTranslator.ref(parts[0], model),
            DeviceTranslator.model(model));
      }
      default -> throw new IllegalStateException("not a shared kind: " + key);
    }
  }

  private void index(String node, Set<String> keys) {
    Set<String> before = references.getOrDefault(node, Set.of());
    for (String key : before) {
      if (!keys.contains(key)) {
        referencedBy.computeIfPresent(key, (k, nodes) -> {
          nodes.remove(node);
          return nodes.isEmpty() ? null : nodes;
        });
      }
    }
    for (String key : keys) {
      referencedBy.compute(key, (k, nodes) -> {
        Set<String> set = nodes == null ? ConcurrentHashMap.newKeySet() : nodes;
        set.add(node);
        return set;
      });
    }
    if (keys.isEmpty()) {
      references.remove(node);
    } else {
      references.put(node, Set.copyOf(keys));
    }
  }
}
