package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.ContentHash;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ServiceAccountTokensV1;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Translates ConfigMaps, Secrets and Nodes into what an edge node holds of them (Devices: {@link DeviceTranslator}). */
final class ObjectTranslator {
  private static final Logger LOG = LoggerFactory.getLogger(ObjectTranslator.class);

  private ObjectTranslator() {}

  static ObjectRef ref(String kind, HasMetadata object) {
    return new ObjectRef(kind, object.getMetadata().getNamespace(), object.getMetadata().getName(),
        object.getMetadata().getUid(), object.getMetadata().getResourceVersion());
  }

  /**
   * The ref of a pod's tokens: the pod's namespace, name and uid; as resourceVersion a digest of the content (tokens
   * have none of their own), so that every refresh is a new version to the edge and a repeat is not.
   */
  static ObjectRef tokensRef(io.fabric8.kubernetes.api.model.Pod pod, ServiceAccountTokensV1 tokens) {
    return new ObjectRef(Downstream.KIND_SERVICE_ACCOUNT_TOKEN, pod.getMetadata().getNamespace(),
        pod.getMetadata().getName(), pod.getMetadata().getUid(), "t" + ContentHash.of(tokens).substring(0, 16));
  }

  static ConfigMapV1 configMap(ConfigMap configMap) {
    return new ConfigMapV1(emptyToNull(configMap.getData()), emptyToNull(configMap.getBinaryData()));
  }

  /**
   * {@code data} as the API returns it (base64). {@code stringData} is write-only in Kubernetes, but a mock or a
   * client-side object may still carry it: it is folded into {@code data} the way the API server would.
   */
  static SecretV1 secret(Secret secret) {
    Map<String, String> data = new HashMap<>();
    if (secret.getData() != null) {
      data.putAll(secret.getData());
    }
    if (secret.getStringData() != null) {
      secret.getStringData().forEach((key, value) -> data.put(key,
          Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))));
    }
    return new SecretV1(secret.getType(), data.isEmpty() ? null : Map.copyOf(data));
  }

  static NodeV1 node(Node node) {
    List<NodeV1.TaintV1> taints = node.getSpec() == null || node.getSpec().getTaints() == null ? null
        : node.getSpec().getTaints().stream().map(t -> new NodeV1.TaintV1(t.getKey(), t.getValue(), t.getEffect()))
            .toList();
    boolean unschedulable = node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable());
    return new NodeV1(emptyToNull(node.getMetadata().getLabels()), taints == null || taints.isEmpty() ? null : taints,
        unschedulable, gatewayTarget(node));
  }

  /** The gateway rollout's target for the node, if its annotation holds a well-formed one (else none, logged). */
  private static io.outpost.protocol.GatewayTargetV1 gatewayTarget(Node node) {
    try {
      return GatewayAnnotations.target(node).map(GatewayAnnotations.Target::toEdge).orElse(null);
    } catch (IllegalArgumentException e) {
      LOG.warn("Gateway target not sent: {}", e.getMessage());
      return null;
    }
  }

  static Downstream upsert(long epoch, long seq, ObjectRef ref, Object body) {
    if (body instanceof io.outpost.protocol.PodV1 pod) {
      return Downstream.upsertPod(epoch, seq, ref, pod);
    } else if (body instanceof ConfigMapV1 configMap) {
      return Downstream.upsertConfigMap(epoch, seq, ref, configMap);
    } else if (body instanceof SecretV1 secret) {
      return Downstream.upsertSecret(epoch, seq, ref, secret);
    } else if (body instanceof NodeV1 node) {
      return Downstream.upsertNode(epoch, seq, ref, node);
    } else if (body instanceof io.outpost.protocol.DeviceV1 device) {
      return Downstream.upsertDevice(epoch, seq, ref, device);
    } else if (body instanceof io.outpost.protocol.DeviceModelV1 model) {
      return Downstream.upsertDeviceModel(epoch, seq, ref, model);
    } else if (body instanceof ServiceAccountTokensV1 tokens) {
      return Downstream.upsertServiceAccountTokens(epoch, seq, ref, tokens);
    } else if (body instanceof io.outpost.protocol.ServiceV1 service) {
      return Downstream.upsertService(epoch, seq, ref, service);
    } else if (body instanceof io.outpost.protocol.EndpointSliceV1 slice) {
      return Downstream.upsertEndpointSlice(epoch, seq, ref, slice);
    } else if (body instanceof io.outpost.protocol.SiteNetworkV1 network) {
      return Downstream.upsertSiteNetwork(epoch, seq, ref, network);
    }
    throw new IllegalArgumentException("no downstream body for " + body.getClass());
  }

  private static Map<String, String> emptyToNull(Map<String, String> map) {
    return map == null || map.isEmpty() ? null : Map.copyOf(map);
  }
}
