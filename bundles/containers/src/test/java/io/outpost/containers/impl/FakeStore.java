package io.outpost.containers.impl;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.store.DesiredState;
import io.outpost.store.Outbox;
import io.outpost.store.OutboxEntry;
import io.outpost.store.StoredPod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory store holding pods, ConfigMaps, Secrets and the statuses and events recorded. */
final class FakeStore implements PodStore, DesiredState {
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
  public DesiredState desired() {
    return this;
  }

  @Override
  public Outbox<PodStatusReport> statuses() {
    return statusOutbox;
  }

  @Override
  public Outbox<EventReport> events() {
    return eventOutbox;
  }

  boolean recordStatus(PodStatusReport report) {
    PodStatusReport previous = statuses.put(report.ref().uid(), report);
    if (report.equals(previous)) {
      return false;
    }
    recorded.add(report);
    return true;
  }

  void forgetStatus(String uid) {
    statuses.remove(uid);
    forgotten.add(uid);
  }

  final Map<String, ConfigMapV1> configMaps = new ConcurrentHashMap<>();
  final Map<String, SecretV1> secrets = new ConcurrentHashMap<>();
  /** Pod tokens by {@code namespace/podName}. */
  final Map<String, io.outpost.protocol.ServiceAccountTokensV1> tokens = new ConcurrentHashMap<>();

  @Override
  public Optional<io.outpost.protocol.ServiceAccountTokensV1> serviceAccountTokens(String namespace,
      String podName) {
    return Optional.ofNullable(tokens.get(namespace + "/" + podName));
  }
  /** Services by {@code namespace/name}, in store-key order. */
  final Map<String, io.outpost.store.StoredSpec<io.outpost.protocol.ServiceV1>> services =
      new java.util.concurrent.ConcurrentSkipListMap<>();

  void putService(String namespace, String name, io.outpost.protocol.ServiceV1 service) {
    services.put(namespace + "/" + name, new io.outpost.store.StoredSpec<>(new ObjectRef("Service", namespace, name,
        UUID.randomUUID().toString(), "1"), service));
  }

  @Override
  public List<io.outpost.store.StoredSpec<io.outpost.protocol.ServiceV1>> services() {
    return new ArrayList<>(services.values());
  }

  @Override
  public Optional<io.outpost.protocol.ServiceV1> service(String namespace, String name) {
    return Optional.ofNullable(services.get(namespace + "/" + name)).map(io.outpost.store.StoredSpec::spec);
  }

  final List<EventReport> events = new CopyOnWriteArrayList<>();
  private final Outbox<PodStatusReport> statusOutbox = new StatusOutbox();
  private final Outbox<EventReport> eventOutbox = new EventOutbox();

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

  // Devices are not the container manager's business: this store holds none.
  @Override
  public List<io.outpost.store.StoredDevice> devices() {
    return List.of();
  }

  @Override
  public Optional<io.outpost.protocol.DeviceModelV1> deviceModel(String namespace, String name) {
    return Optional.empty();
  }

  /** What the container manager does with the pod status outbox: record, read the last, forget. */
  private final class StatusOutbox extends NoDelivery<PodStatusReport> {
    @Override
    public boolean record(PodStatusReport report) {
      return recordStatus(report);
    }

    @Override
    public Optional<PodStatusReport> last(String uid) {
      return Optional.ofNullable(statuses.get(uid));
    }

    @Override
    public void forget(String uid) {
      forgetStatus(uid);
    }

    @Override
    public int depth() {
      return 0;
    }
  }

  /** Events are only appended by the container manager. */
  private final class EventOutbox extends NoDelivery<EventReport> {
    @Override
    public boolean record(EventReport event) {
      events.add(event);
      return true;
    }

    @Override
    public Optional<EventReport> last(String key) {
      return Optional.empty();
    }

    @Override
    public void forget(String key) {}

    @Override
    public int depth() {
      return events.size();
    }
  }

  /** Delivery is the sync's business: nothing is ever pending here. */
  private abstract static class NoDelivery<T> implements Outbox<T> {
    @Override
    public List<OutboxEntry<T>> pending(int max) {
      return List.of();
    }

    @Override
    public void delivered(OutboxEntry<T> entry) {}

    @Override
    public long dropped() {
      return 0;
    }

    @Override
    public int requeue() {
      return 0;
    }
  }
}
