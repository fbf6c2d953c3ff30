package io.outpost.store;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.SecretV1;
import java.util.List;
import java.util.Optional;

/**
 * The durable state of one edge node. Every method is one transaction; a method that returns has committed to disk,
 * so whatever it acknowledged survives a crash.
 */
public interface EdgeStore {

  /**
   * Applies one downstream message in one transaction: the sequence check, the object change and the new sync
   * position commit together or not at all.
   */
  ApplyResult apply(Downstream message);

  SyncPosition position();

  /** Every pod the cloud wants on this node, including pods being deleted gracefully. */
  List<StoredPod> pods();

  /**
   * The digest of what the store holds: one reference (with resourceVersion) per object, leaving out objects the
   * cloud deleted during a resync that has not ended yet (they are removed at its SYNC_END).
   */
  List<ObjectRef> held();

  /** A ConfigMap a pod of this node references, as the cloud last sent it. */
  Optional<ConfigMapV1> configMap(String namespace, String name);

  /** A Secret a pod of this node references, as the cloud last sent it. */
  Optional<SecretV1> secret(String namespace, String name);

  /** This node's own Node object (labels, taints, cordon), as the cloud last sent it. */
  Optional<NodeV1> node(String name);

  /** Every Device bound to this node, as the cloud last sent it. */
  List<StoredDevice> devices();

  /** The DeviceModel of a Device of this node, as the cloud last sent it. */
  Optional<DeviceModelV1> deviceModel(String namespace, String name);

  /**
   * Records the newest state and twins of a device for upstream delivery, coalesced like pod status: a newer report
   * replaces an undelivered older one, one equal to the last is ignored. Returns true if the outbox changed.
   */
  boolean recordDeviceStatus(DeviceStatusReport report);

  /** The last status recorded for a device (its twins as last read and written), delivered or not. */
  Optional<DeviceStatusReport> lastDeviceStatus(String uid);

  /** Undelivered device statuses, oldest first, at most {@code max}. */
  List<PendingDeviceStatus> pendingDeviceStatuses(int max);

  /** Removes a device status from the outbox if it is still the version that was delivered. */
  void deviceStatusDelivered(String uid, long version);

  int deviceOutboxDepth();

  /** Forgets the recorded and pending status of a device the node no longer holds. */
  void forgetDeviceStatus(String uid);

  /**
   * Records the newest status of a pod for upstream delivery. Coalesced: a newer status replaces an undelivered
   * older one; a status equal to the last recorded one is ignored. Returns true if the outbox changed.
   */
  boolean recordStatus(PodStatusReport report);

  /**
   * The last status recorded for a pod, delivered or not: the pod's local runtime state (restart counts, last
   * termination) as the node last knew it, so that a restarted gateway continues from it.
   */
  Optional<PodStatusReport> lastStatus(String uid);

  /**
   * Puts the last recorded status of every pod and device back into the outbox (if not there already), for a bridge that may
   * not have received what was delivered before. Returns how many were added.
   */
  int requeueStatuses();

  /** Undelivered statuses, oldest first, at most {@code max}. */
  List<PendingStatus> pendingStatuses(int max);

  /** Removes a status from the outbox if it is still the version that was delivered. */
  void statusDelivered(String uid, long version);

  int outboxDepth();

  /** Forgets the recorded and pending status of a pod the node no longer holds. */
  void forgetStatus(String uid);

  /**
   * Appends an event for upstream delivery (a repeat of the newest pending one raises its count). The outbox keeps
   * at most a configured number of undelivered events ({@code events.max}); beyond it the oldest is dropped, logged
   * and counted ({@link #eventsDropped}). Returns how many events this call dropped.
   */
  int recordEvent(EventReport event);

  /** Undelivered events, oldest first, at most {@code max}. */
  List<PendingEvent> pendingEvents(int max);

  /** Removes a delivered event if it has not been merged with a repeat since it was read. */
  void eventDelivered(PendingEvent event);

  int eventDepth();

  /** Events dropped because the outbox was full, over the life of this store. */
  long eventsDropped();
}
