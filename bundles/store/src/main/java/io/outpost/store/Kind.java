package io.outpost.store;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ServiceAccountTokensV1;
import java.util.Arrays;

/** The kinds of object the desired state holds, by their Kubernetes kind name, and the record of each one's spec. */
public enum Kind {
  POD("Pod", PodV1.class),
  CONFIG_MAP("ConfigMap", ConfigMapV1.class),
  SECRET("Secret", SecretV1.class),
  /** The node's own Node object; cluster-scoped. */
  NODE("Node", NodeV1.class),
  DEVICE("Device", DeviceV1.class),
  DEVICE_MODEL("DeviceModel", DeviceModelV1.class),
  /** The bound ServiceAccount tokens of one pod (store key {@code ServiceAccountToken/<namespace>/<pod>}); sealed. */
  SERVICE_ACCOUNT_TOKEN("ServiceAccountToken", ServiceAccountTokensV1.class),
  /** A Service of any namespace (site networking: forwarding, DNS, service-link environment variables). */
  SERVICE("Service", io.outpost.protocol.ServiceV1.class),
  /** An EndpointSlice with the endpoints of this node's site. */
  ENDPOINT_SLICE("EndpointSlice", io.outpost.protocol.EndpointSliceV1.class),
  /** This node's pod ranges and its site's peers; cluster-scoped, named after the node. */
  SITE_NETWORK("SiteNetwork", io.outpost.protocol.SiteNetworkV1.class);

  private final String label;
  private final Class<?> type;

  Kind(String label, Class<?> type) {
    this.label = label;
    this.type = type;
  }

  /** The Kubernetes kind name, the first part of a store key ({@code kind/namespace/name}). */
  public String label() {
    return label;
  }

  public Class<?> type() {
    return type;
  }

  public static Kind of(String label) {
    return Arrays.stream(values()).filter(k -> k.label.equals(label)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("the store holds no kind '" + label + "'"));
  }
}
