package io.outpost.store;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ServiceAccountTokensV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.SiteNetworkV1;
import java.util.List;
import java.util.Optional;

/**
 * What the cloud wants on this node, as the sync last applied it: pods, the ConfigMaps and Secrets they reference,
 * the node's own Node, Devices and their DeviceModels, and for site networking the Services, the site's EndpointSlices and
 * the node's SiteNetwork. Read-only; changes arrive through the {@link SyncLog}, and
 * {@link StoreListener#objectsChanged} tells whiteboard listeners which objects changed after each commit.
 */
public interface DesiredState {

  /** Every pod the cloud wants on this node, including pods being deleted gracefully. */
  List<StoredPod> pods();

  /** A ConfigMap a pod of this node references, as the cloud last sent it. */
  Optional<ConfigMapV1> configMap(String namespace, String name);

  /** A Secret a pod of this node references, as the cloud last sent it (decrypted: it is sealed on disk). */
  Optional<SecretV1> secret(String namespace, String name);

  /**
   * The bound ServiceAccount tokens of the pod {@code namespace/podName}, as the cloud last sent them (decrypted: they
   * are sealed on disk like Secrets). Compare {@link ServiceAccountTokensV1#podUid()} with the pod's uid.
   */
  default Optional<ServiceAccountTokensV1> serviceAccountTokens(String namespace, String podName) {
    return Optional.empty();
  }

  /** This node's own Node object (labels, taints, cordon), as the cloud last sent it. */
  Optional<NodeV1> node(String name);

  /** Every Device bound to this node, as the cloud last sent it. */
  List<StoredDevice> devices();

  /** The DeviceModel of a Device of this node, as the cloud last sent it. */
  Optional<DeviceModelV1> deviceModel(String namespace, String name);

  /** Every Service the cloud sent (all namespaces), in store-key order. */
  default List<StoredSpec<ServiceV1>> services() {
    return List.of();
  }

  /** The Service {@code namespace/name}, as the cloud last sent it. */
  default Optional<ServiceV1> service(String namespace, String name) {
    return Optional.empty();
  }

  /** Every EndpointSlice the cloud sent (the endpoints of this node's site only), in store-key order. */
  default List<StoredSpec<EndpointSliceV1>> endpointSlices() {
    return List.of();
  }

  /** This node's pod ranges and site peers, if the cloud assigned them. */
  default Optional<SiteNetworkV1> siteNetwork(String nodeName) {
    return Optional.empty();
  }
}
