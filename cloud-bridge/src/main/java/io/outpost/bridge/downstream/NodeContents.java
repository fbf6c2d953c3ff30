package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.outpost.bridge.kube.Caches;
import io.outpost.bridge.kube.ServiceAccountTokens;
import io.outpost.bridge.site.Sites;
import io.outpost.protocol.ContentHash;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceAccountTokensV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.SiteNetworkV1;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each node should hold, computed from the informer caches — least privilege: its own Node object, its
 * SiteNetwork (its pod ranges and its site's peers only), every Service, every EndpointSlice with only the endpoints
 * of its site, the ConfigMaps and Secrets its pods reference, the DeviceModels of its Devices, its pods and the
 * Devices bound to it, nothing else, and of those only the kinds the node applies — and the index from shared
 * objects (ConfigMaps, Secrets, DeviceModels) to the nodes that use them,
 * so that a change of one reaches exactly those nodes. The index is updated atomically (any thread may read it).
 */
final class NodeContents {
  /** What a node should hold for a key; {@code hash} the body's content hash if known already (else null). */
  record Wanted(ObjectRef ref, Object body, String hash) {
    Wanted(ObjectRef ref, Object body) {
      this(ref, body, null);
    }

    /** The ref as sent and as digests name it: with the body's content hash (computed on demand). */
    ObjectRef hashedRef() {
      return ref.withHash(hash != null ? hash : ContentHash.of(body));
    }
  }

  private final Caches cache;
  /** The pods' bound ServiceAccount tokens, or null (none are sent). */
  private final ServiceAccountTokens tokens;
  /** Shared object store key → nodes using it (whether or not it exists). Updated atomically. */
  private final Map<String, Set<String>> referencedBy = new ConcurrentHashMap<>();
  /** The reverse: node → the keys it uses. */
  private final Map<String, Set<String>> references = new ConcurrentHashMap<>();

  /** Site membership and pod ranges; null: no SiteNetwork is sent and slices carry the node's own endpoints. */
  private final Sites sites;
  /**
   * Services translated, by store key, for the uid and resourceVersion they were translated at, with their content
   * hash: shared by all nodes, so that a change reaching every node costs one translation.
   */
  private final Map<String, Translated> services = new ConcurrentHashMap<>();
  /** EndpointSlices translated, by store key and the set of nodes whose endpoints they keep (one per site). */
  private final Map<String, Translated> slices = new ConcurrentHashMap<>();

  private record Translated(String version, Object body, String hash) {}

  NodeContents(Caches cache) {
    this(cache, null, null);
  }

  NodeContents(Caches cache, ServiceAccountTokens tokens, Sites sites) {
    this.cache = cache;
    this.tokens = tokens;
    this.sites = sites;
  }

  /** The nodes using a ConfigMap, Secret or DeviceModel (any thread): they reconcile when it changes. */
  Set<String> nodesReferencing(String key) {
    Set<String> nodes = referencedBy.get(key);
    return nodes == null ? Set.of() : Set.copyOf(nodes);
  }

  /** Everything the node should hold, of every kind (tests). */
  Map<String, Wanted> desired(String node) {
    return desired(node, Downstream.KINDS);
  }

  /**
   * Everything the node should hold of the {@code kinds} it applies, dependencies first: its Node object, its
   * SiteNetwork, the Services and EndpointSlices (before any pod: service-link environment variables are set when a
   * container starts), the ConfigMaps, Secrets and DeviceModels its pods and Devices use (those that exist), then the
   * pods and Devices. Also refreshes the reference index.
   */
  Map<String, Wanted> desired(String node, Set<String> kinds) {
    Map<String, Wanted> objects = new LinkedHashMap<>();
    Node self = cache.node(node);
    if (self != null && kinds.contains(Downstream.KIND_NODE)) {
      ObjectRef ref = ObjectTranslator.ref(Downstream.KIND_NODE, self);
      objects.put(ref.key(), new Wanted(ref, ObjectTranslator.node(self)));
    }
    if (self != null && sites != null && kinds.contains(Downstream.KIND_SITE_NETWORK)) {
      SiteNetworkV1 network = SiteNetworkTranslator.of(self, sites);
      if (network != null) {
        ObjectRef ref = SiteNetworkTranslator.ref(self);
        objects.put(ref.key(), new Wanted(ref, network));
      }
    }
    if (kinds.contains(Downstream.KIND_SERVICE)) {
      services(objects);
    }
    if (kinds.contains(Downstream.KIND_ENDPOINT_SLICE)) {
      slices(node, objects);
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
      Wanted shared = kinds.contains(key.substring(0, key.indexOf('/'))) ? shared(key) : null;
      if (shared != null) {
        objects.put(key, shared);
      }
    }
    for (Pod pod : kinds.contains(Downstream.KIND_POD) ? pods : List.<Pod>of()) {
      ObjectRef ref = PodTranslator.ref(pod);
      objects.put(ref.key(), new Wanted(ref, PodTranslator.toEdge(pod)));
    }
    for (GenericKubernetesResource device : kinds.contains(Downstream.KIND_DEVICE) ? devices
        : List.<GenericKubernetesResource>of()) {
      ObjectRef ref = ObjectTranslator.ref(Downstream.KIND_DEVICE, device);
      objects.put(ref.key(), new Wanted(ref, DeviceTranslator.device(device)));
    }
    if (tokens != null && kinds.contains(Downstream.KIND_SERVICE_ACCOUNT_TOKEN)) {
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

  /** Every Service, sorted by key (translations shared by all nodes, redone only for a new resourceVersion). */
  private void services(Map<String, Wanted> objects) {
    List<Service> all = new ArrayList<>(cache.services());
    all.sort(Comparator.comparing(s -> s.getMetadata().getNamespace() + "/" + s.getMetadata().getName()));
    for (Service service : all) {
      ObjectRef ref = ObjectTranslator.ref(Downstream.KIND_SERVICE, service);
      String version = service.getMetadata().getUid() + "/" + service.getMetadata().getResourceVersion();
      Translated translated = services.get(ref.key());
      if (translated == null || !translated.version().equals(version)) {
        ServiceV1 body = ServiceTranslator.service(service);
        translated = new Translated(version, body, ContentHash.of(body));
        services.put(ref.key(), translated);
      }
      objects.put(ref.key(), new Wanted(ref, translated.body(), translated.hash()));
    }
    if (services.size() > all.size() + 64) {
      services.keySet().removeIf(key -> objects.get(key) == null); // deleted Services
    }
  }

  /**
   * Every EndpointSlice of a Service, with only the endpoints on the nodes of the node's site (itself only without a
   * site); a slice with none left is sent empty.
   */
  private void slices(String node, Map<String, Wanted> objects) {
    java.util.Set<String> local = sites == null ? Set.of(node) : sites.endpointNodes(node);
    String members = String.join(",", new TreeSet<>(local));
    List<EndpointSlice> all = new ArrayList<>(cache.endpointSlices());
    all.sort(Comparator.comparing(s -> s.getMetadata().getNamespace() + "/" + s.getMetadata().getName()));
    if (slices.size() > 4 * (all.size() + 64)) {
      slices.clear(); // bounded: deleted slices and sites that changed are translated again when needed
    }
    for (EndpointSlice slice : all) {
      if (ServiceTranslator.serviceOf(slice) != null) {
        ObjectRef ref = ObjectTranslator.ref(Downstream.KIND_ENDPOINT_SLICE, slice);
        String version = slice.getMetadata().getUid() + "/" + slice.getMetadata().getResourceVersion();
        String memo = ref.key() + "|" + members;
        Translated translated = slices.get(memo);
        if (translated == null || !translated.version().equals(version)) {
          EndpointSliceV1 body = ServiceTranslator.slice(slice, local);
          translated = new Translated(version, body, ContentHash.of(body));
          slices.put(memo, translated);
        }
        objects.put(ref.key(), new Wanted(ref, translated.body(), translated.hash()));
      }
    }
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
