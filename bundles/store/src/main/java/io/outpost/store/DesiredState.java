package io.outpost.store;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ServiceAccountTokensV1;
import java.util.List;
import java.util.Optional;

/**
 * What the cloud wants on this node, as the sync last applied it: pods, the ConfigMaps and Secrets they reference,
 * the node's own Node, Devices and their DeviceModels. Read-only; changes arrive through the {@link SyncLog}, and
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
}
