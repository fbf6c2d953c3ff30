package io.outpost.protocol;

import java.util.List;

/**
 * A bridge-to-edge message on {@code outpost/v1/<node>/down}. Sequence numbers are assigned per node by the bridge
 * and strictly increase within one {@code epoch} (one bridge incarnation). See docs/protocol.md, "Ordering".
 */
public record Downstream(int v, long epoch, long seq, Op op, ObjectRef ref, PodV1 pod, ConfigMapV1 configMap,
    SecretV1 secret, NodeV1 node, String correlationId, List<String> buckets, DeviceV1 device,
    DeviceModelV1 deviceModel, ServiceAccountTokensV1 serviceAccountTokens, ServiceV1 service,
    EndpointSliceV1 endpointSlice, SiteNetworkV1 siteNetwork) implements Message {

  /** A message without a site-networking body (as bridges before site networking send). */
  public Downstream(int v, long epoch, long seq, Op op, ObjectRef ref, PodV1 pod, ConfigMapV1 configMap,
      SecretV1 secret, NodeV1 node, String correlationId, List<String> buckets, DeviceV1 device,
      DeviceModelV1 deviceModel, ServiceAccountTokensV1 serviceAccountTokens) {
    this(v, epoch, seq, op, ref, pod, configMap, secret, node, correlationId, buckets, device, deviceModel,
        serviceAccountTokens, null, null, null);
  }

  /** A message without a ServiceAccount token body (as bridges before tokens send). */
  public Downstream(int v, long epoch, long seq, Op op, ObjectRef ref, PodV1 pod, ConfigMapV1 configMap,
      SecretV1 secret, NodeV1 node, String correlationId, List<String> buckets, DeviceV1 device,
      DeviceModelV1 deviceModel) {
    this(v, epoch, seq, op, ref, pod, configMap, secret, node, correlationId, buckets, device, deviceModel, null);
  }

  /** A message without a device body (every kind but Device and DeviceModel). */
  public Downstream(int v, long epoch, long seq, Op op, ObjectRef ref, PodV1 pod, ConfigMapV1 configMap,
      SecretV1 secret, NodeV1 node, String correlationId, List<String> buckets) {
    this(v, epoch, seq, op, ref, pod, configMap, secret, node, correlationId, buckets, null, null);
  }

  public enum Op {
    /** Create or replace the object named by {@code ref}; the body field for its kind is set. */
    UPSERT,
    /** Remove the object named by {@code ref}. */
    DELETE,
    /** Start of a resync answer: the edge accepts {@code seq} as the new base of the sequence. */
    SYNC_BEGIN,
    /** End of a resync answer: everything the bridge wants the edge to change has been sent. */
    SYNC_END,
    /**
     * Control message, outside the sequence: the compact digest of the request named by {@code correlationId} does
     * not match; the edge sends the full form. Its {@code seq} repeats the node's last number and is not applied.
     */
    DIGEST_MISMATCH
  }

  public static final String KIND_POD = "Pod";
  public static final String KIND_CONFIG_MAP = "ConfigMap";
  public static final String KIND_SECRET = "Secret";
  /** The node's own Node object; cluster-scoped, so its ref has no namespace. */
  public static final String KIND_NODE = "Node";
  /** A KubeEdge {@code devices.kubeedge.io/v1beta1} Device bound to the node ({@code spec.nodeName}). */
  public static final String KIND_DEVICE = "Device";
  /** The DeviceModel of a Device bound to the node. */
  public static final String KIND_DEVICE_MODEL = "DeviceModel";
  /**
   * The bound ServiceAccount tokens of one pod of the node ({@link ServiceAccountTokensV1}): store key
   * {@code ServiceAccountToken/<namespace>/<pod name>}, uid the pod's.
   */
  public static final String KIND_SERVICE_ACCOUNT_TOKEN = "ServiceAccountToken";
  /** A Service ({@link ServiceV1}), sent to every edge node that accepts the kind. */
  public static final String KIND_SERVICE = "Service";
  /** An EndpointSlice ({@link EndpointSliceV1}) with the endpoints of the receiving node's site only. */
  public static final String KIND_ENDPOINT_SLICE = "EndpointSlice";
  /** The node's pod ranges and its site's peers ({@link SiteNetworkV1}); cluster-scoped, named after the node. */
  public static final String KIND_SITE_NETWORK = "SiteNetwork";

  public static Downstream upsertPod(long epoch, long seq, ObjectRef ref, PodV1 pod) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, pod, null, null, null, null, null);
  }

  public static Downstream upsertConfigMap(long epoch, long seq, ObjectRef ref, ConfigMapV1 configMap) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, configMap, null, null, null, null);
  }

  public static Downstream upsertSecret(long epoch, long seq, ObjectRef ref, SecretV1 secret) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, null, secret, null, null, null);
  }

  public static Downstream upsertNode(long epoch, long seq, ObjectRef ref, NodeV1 node) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, null, null, node, null, null);
  }

  public static Downstream upsertDevice(long epoch, long seq, ObjectRef ref, DeviceV1 device) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, null, null, null, null, null, device,
        null);
  }

  public static Downstream upsertDeviceModel(long epoch, long seq, ObjectRef ref, DeviceModelV1 model) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, null, null, null, null, null, null,
        model);
  }

  public static Downstream upsertServiceAccountTokens(long epoch, long seq, ObjectRef ref,
      ServiceAccountTokensV1 tokens) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, null, null, null, null, null, null, null,
        tokens);
  }

  public static Downstream upsertService(long epoch, long seq, ObjectRef ref, ServiceV1 service) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, null, null, null, null, null, null, null,
        null, service, null, null);
  }

  public static Downstream upsertEndpointSlice(long epoch, long seq, ObjectRef ref, EndpointSliceV1 slice) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, null, null, null, null, null, null, null,
        null, null, slice, null);
  }

  public static Downstream upsertSiteNetwork(long epoch, long seq, ObjectRef ref, SiteNetworkV1 network) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.UPSERT, ref, null, null, null, null, null, null, null, null,
        null, null, null, network);
  }

  public static Downstream delete(long epoch, long seq, ObjectRef ref) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.DELETE, ref, null, null, null, null, null, null);
  }

  /**
   * DIGEST_MISMATCH with the bridge's bucket digests ({@link Buckets}) of what the node should hold: the node
   * answers with the refs of the buckets that differ only.
   */
  public static Downstream mismatch(long epoch, long seq, String correlationId, List<String> buckets) {
    return new Downstream(Codec.VERSION, epoch, seq, Op.DIGEST_MISMATCH, null, null, null, null, null, correlationId,
        buckets);
  }

  public static Downstream marker(long epoch, long seq, Op op, String correlationId) {
    return new Downstream(Codec.VERSION, epoch, seq, op, null, null, null, null, null, correlationId, null);
  }

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(op, "op");
    if (epoch <= 0 || seq <= 0) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "epoch and seq must be positive");
    }
    switch (op) {
      case UPSERT -> {
        Validation.require(ref, "ref");
        ref.validate();
        validateBody();
      }
      case DELETE -> {
        Validation.require(ref, "ref");
        ref.validate();
        requireKnownKind();
      }
      case SYNC_BEGIN, SYNC_END -> Validation.require(correlationId, "correlationId");
      case DIGEST_MISMATCH -> {
        Validation.require(correlationId, "correlationId");
        if (buckets != null) {
          if (buckets.isEmpty() || buckets.size() > Buckets.MAX) {
            throw new ProtocolException(ProtocolException.Reason.INVALID,
                "buckets must have 1 to " + Buckets.MAX + " entries");
          }
          for (String digest : buckets) {
            if (digest == null || !digest.matches("[0-9a-f]{16}")) {
              throw new ProtocolException(ProtocolException.Reason.INVALID, "a bucket digest is 16 hex digits");
            }
          }
        }
      }
      default -> throw new IllegalStateException("unhandled op " + op);
    }
  }

  /** Exactly the body field of the ref's kind is set, and it is valid. */
  private void validateBody() throws ProtocolException {
    requireKnownKind();
    int bodies = (pod == null ? 0 : 1) + (configMap == null ? 0 : 1) + (secret == null ? 0 : 1) + (node == null ? 0 : 1)
        + (device == null ? 0 : 1) + (deviceModel == null ? 0 : 1) + (serviceAccountTokens == null ? 0 : 1)
        + (service == null ? 0 : 1) + (endpointSlice == null ? 0 : 1) + (siteNetwork == null ? 0 : 1);
    if (bodies != 1) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "an UPSERT carries exactly one body, found "
          + bodies);
    }
    switch (ref.kind()) {
      case KIND_POD -> {
        Validation.require(pod, "pod");
        Validation.require(ref.namespace(), "ref.namespace");
        pod.validate();
      }
      case KIND_CONFIG_MAP -> {
        Validation.require(configMap, "configMap");
        Validation.require(ref.namespace(), "ref.namespace");
        configMap.validate();
      }
      case KIND_SECRET -> {
        Validation.require(secret, "secret");
        Validation.require(ref.namespace(), "ref.namespace");
        secret.validate();
      }
      case KIND_NODE -> {
        Validation.require(node, "node");
        node.validate();
      }
      case KIND_DEVICE -> {
        Validation.require(device, "device");
        Validation.require(ref.namespace(), "ref.namespace");
        device.validate();
      }
      case KIND_DEVICE_MODEL -> {
        Validation.require(deviceModel, "deviceModel");
        Validation.require(ref.namespace(), "ref.namespace");
        deviceModel.validate();
      }
      case KIND_SERVICE_ACCOUNT_TOKEN -> {
        Validation.require(serviceAccountTokens, "serviceAccountTokens");
        Validation.require(ref.namespace(), "ref.namespace");
        serviceAccountTokens.validate(ref);
      }
      case KIND_SERVICE -> {
        Validation.require(service, "service");
        Validation.require(ref.namespace(), "ref.namespace");
        service.validate();
      }
      case KIND_ENDPOINT_SLICE -> {
        Validation.require(endpointSlice, "endpointSlice");
        Validation.require(ref.namespace(), "ref.namespace");
        endpointSlice.validate();
      }
      case KIND_SITE_NETWORK -> {
        Validation.require(siteNetwork, "siteNetwork");
        if (ref.namespace() != null) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "a SiteNetwork is cluster-scoped");
        }
        siteNetwork.validate();
      }
      default -> throw new IllegalStateException("unhandled kind " + ref.kind());
    }
  }

  private void requireKnownKind() throws ProtocolException {
    if (!KINDS.contains(ref.kind())) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "unsupported kind '" + ref.kind() + "'");
    }
  }

  /** The kinds protocol v1 carries. */
  public static final java.util.Set<String> KINDS = java.util.Set.of(KIND_POD, KIND_CONFIG_MAP, KIND_SECRET, KIND_NODE,
      KIND_DEVICE, KIND_DEVICE_MODEL, KIND_SERVICE_ACCOUNT_TOKEN, KIND_SERVICE, KIND_ENDPOINT_SLICE,
      KIND_SITE_NETWORK);

  /**
   * The kinds every edge node applies, also one that does not say which kinds it accepts (nodes before
   * {@link ResyncRequest#kinds()}): a bridge sends any other kind only to nodes that name it.
   */
  public static final java.util.Set<String> BASE_KINDS = java.util.Set.of(KIND_POD, KIND_CONFIG_MAP, KIND_SECRET,
      KIND_NODE, KIND_DEVICE, KIND_DEVICE_MODEL);
}
