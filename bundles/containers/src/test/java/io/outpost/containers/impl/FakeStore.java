package io.outpost.containers.impl;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.store.ApplyResult;
import io.outpost.store.EdgeStore;
import io.outpost.store.PendingEvent;
import io.outpost.store.PendingStatus;
import io.outpost.store.StoredPod;
import io.outpost.store.SyncPosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory {@link EdgeStore} holding pods, ConfigMaps, Secrets and the statuses and events recorded. */
final class FakeStore implements EdgeStore {
  private final Map<String, StoredPod> pods = new ConcurrentHashMap<>();
  final Map<String, PodStatusReport> statuses = new ConcurrentHashMap<>();
  final List<PodStatusReport> recorded = new CopyOnWriteArrayList<>();
  final Set<String> forgotten = ConcurrentHashMap.newKeySet();

  void put(ObjectRef ref, PodV1 pod) {
    pods.put(ref.uid(), new StoredPod(ref, pod));
  }

  void remove(String uid) {
    pods.remove(uid);
  }

  PodStatusReport status(String uid) {
    return statuses.get(uid);
  }

  @Override
  public List<StoredPod> pods() {
    return new ArrayList<>(pods.values());
  }

  @Override
  public boolean recordStatus(PodStatusReport report) {
    PodStatusReport previous = statuses.put(report.ref().uid(), report);
    if (report.equals(previous)) {
      return false;
    }
    recorded.add(report);
    return true;
  }

  @Override
  public Optional<PodStatusReport> lastStatus(String uid) {
    return Optional.ofNullable(statuses.get(uid));
  }

  @Override
  public int requeueStatuses() {
    return 0;
  }

  @Override
  public void forgetStatus(String uid) {
    statuses.remove(uid);
    forgotten.add(uid);
  }

  final Map<String, ConfigMapV1> configMaps = new ConcurrentHashMap<>();
  final Map<String, SecretV1> secrets = new ConcurrentHashMap<>();
  final List<EventReport> events = new CopyOnWriteArrayList<>();

  @Override
  public Optional<ConfigMapV1> configMap(String namespace, String name) {
    return Optional.ofNullable(configMaps.get(namespace + "/" + name));
  }

  @Override
  public Optional<SecretV1> secret(String namespace, String name) {
    return Optional.ofNullable(secrets.get(namespace + "/" + name));
  }

  @Override
  public Optional<NodeV1> node(String name) {
    return Optional.empty();
  }

  @Override
  public int recordEvent(EventReport event) {
    events.add(event);
    return 0;
  }

  @Override
  public List<PendingEvent> pendingEvents(int max) {
    return List.of();
  }

  @Override
  public void eventDelivered(PendingEvent event) {}

  @Override
  public int eventDepth() {
    return events.size();
  }

  @Override
  public long eventsDropped() {
    return 0;
  }

  @Override
  public ApplyResult apply(Downstream message) {
    throw new UnsupportedOperationException();
  }

  @Override
  public SyncPosition position() {
    return SyncPosition.NONE;
  }

  @Override
  public List<ObjectRef> held() {
    return pods.values().stream().map(StoredPod::ref).toList();
  }

  @Override
  public List<PendingStatus> pendingStatuses(int max) {
    return List.of();
  }

  @Override
  public void statusDelivered(String uid, long version) {}

  @Override
  public int outboxDepth() {
    return 0;
  }

  // Devices are not the container manager's business: this store holds none.
  @Override
  public List<io.outpost.store.StoredDevice> devices() {
    return List.of();
  }

  @Override
  public Optional<io.outpost.protocol.DeviceModelV1> deviceModel(String namespace, String name) {
    return Optional.empty();
  }

  @Override
  public boolean recordDeviceStatus(io.outpost.protocol.DeviceStatusReport report) {
    throw new UnsupportedOperationException("the container manager records no device status");
  }

  @Override
  public Optional<io.outpost.protocol.DeviceStatusReport> lastDeviceStatus(String uid) {
    return Optional.empty();
  }

  @Override
  public List<io.outpost.store.PendingDeviceStatus> pendingDeviceStatuses(int max) {
    return List.of();
  }

  @Override
  public void deviceStatusDelivered(String uid, long version) {
    throw new UnsupportedOperationException("the container manager delivers no device status");
  }

  @Override
  public int deviceOutboxDepth() {
    return 0;
  }

  @Override
  public void forgetDeviceStatus(String uid) {
    throw new UnsupportedOperationException("the container manager forgets no device status");
  }
}
