package io.outpost.store.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.ApplyResult;
import io.outpost.store.ApplyResult.Outcome;
import io.outpost.store.EdgeStore;
import io.outpost.store.PendingDeviceStatus;
import io.outpost.store.PendingEvent;
import io.outpost.store.PendingStatus;
import io.outpost.store.StoredDevice;
import io.outpost.store.StoredPod;
import io.outpost.store.SyncPosition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.EnvironmentConfig;
import jetbrains.exodus.env.Environments;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.StoreConfig;
import jetbrains.exodus.env.Transaction;

/**
 * The edge store on one Xodus environment. Stores: {@code objects} (store key → the UPSERT message that last set it),
 * {@code meta} (sync position, resync flag, counters), {@code pendingDeletes} (keys the cloud deleted during a
 * resync that is not finished yet), {@code lastStatus} (uid → last recorded status), {@code outbox} (uid → version +
 * undelivered status), the same two for devices ({@code lastDeviceStatus}, {@code deviceOutbox}) and {@code events}
 * (append-only, bounded: sequence → undelivered event). Every write commits
 * with an fsync, so a crash loses nothing acknowledged.
 */
public final class XodusEdgeStore implements EdgeStore, AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(XodusEdgeStore.class);
  public static final int DEFAULT_MAX_EVENTS = 1000;

  private final Codec codec;
  private final Environment env;
  private final Store objects;
  private final Store pendingDeletes;
  private final Applier applier;
  private final Records records;
  private final SecretSealer sealer;
  private final EventOutbox eventOutbox;
  private final StatusOutbox<PodStatusReport> statusOutbox;
  private final StatusOutbox<DeviceStatusReport> deviceOutbox;

  public XodusEdgeStore(Path directory, Codec codec) {
    this(directory, codec, DEFAULT_MAX_EVENTS);
  }

  public XodusEdgeStore(Path directory, Codec codec, int maxEvents) {
    this(directory, codec, maxEvents, directory.resolve("secrets.key")); // Xodus only reads its *.xd files
  }

  /**
   * The store as the gateway lays it out under its {@code data.dir}: the database in {@code store/}, the key that
   * encrypts Secrets in {@code identity/store.key}, beside the node's identity.
   */
  public static XodusEdgeStore inDataDir(Path dataDir, Codec codec, int maxEvents) {
    return new XodusEdgeStore(dataDir.resolve("store"), codec, maxEvents, dataDir.resolve("identity")
        .resolve("store.key"));
  }

  /** A store whose Secrets are encrypted with the key in {@code secretKeyFile} (created 0600 if missing). */
  public XodusEdgeStore(Path directory, Codec codec, int maxEvents, Path secretKeyFile) {
    this.sealer = SecretSealer.open(secretKeyFile);
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be positive, was " + maxEvents);
    }
    this.codec = codec;
    EnvironmentConfig config = new EnvironmentConfig()
        .setLogDurableWrite(true)
        .setEnvCloseForcedly(true)
        .setGcEnabled(true);
    this.env = Environments.newInstance(directory.toFile(), config);
    Store[] stores = env.computeInTransaction(txn -> new Store[] {
        env.openStore("objects", StoreConfig.WITHOUT_DUPLICATES, txn),
        env.openStore("meta", StoreConfig.WITHOUT_DUPLICATES, txn),
        env.openStore("lastStatus", StoreConfig.WITHOUT_DUPLICATES, txn),
        env.openStore("outbox", StoreConfig.WITHOUT_DUPLICATES, txn),
        env.openStore("pendingDeletes", StoreConfig.WITHOUT_DUPLICATES, txn),
        env.openStore("events", StoreConfig.WITHOUT_DUPLICATES, txn),
        env.openStore("lastDeviceStatus", StoreConfig.WITHOUT_DUPLICATES, txn),
        env.openStore("deviceOutbox", StoreConfig.WITHOUT_DUPLICATES, txn)});
    this.objects = stores[0];
    this.pendingDeletes = stores[4];
    this.records = new Records(codec, stores[1]);
    this.applier = new Applier(codec, objects, pendingDeletes, records, sealer);
    this.eventOutbox = new EventOutbox(stores[5], records, maxEvents);
    this.statusOutbox = new StatusOutbox<>(stores[2], stores[3], records, PodStatusReport.class, "statusCounter");
    this.deviceOutbox = new StatusOutbox<>(stores[6], stores[7], records, DeviceStatusReport.class,
        "deviceStatusCounter");
  }

  /** A change applied by {@link #apply}; {@code changedKeys} names the objects that changed (often none). */
  public record Applied(ApplyResult result, Set<String> changedKeys) {
    Applied(ApplyResult result) {
      this(result, Set.of());
    }

    Applied(ApplyResult result, String changedKey) {
      this(result, changedKey == null ? Set.of() : Set.of(changedKey));
    }
  }

  @Override
  public ApplyResult apply(Downstream message) {
    return applyTracked(message).result();
  }

  /** {@link #apply}, also naming the objects that changed. */
  public Applied applyTracked(Downstream message) {
    return env.computeInTransaction(txn -> applier.apply(txn, message));
  }

  /**
   * Applies messages in order in one transaction (one fsync): each is checked against the position the previous
   * one left, exactly as if applied one by one. For bursts, where acknowledging after one commit is enough.
   */
  public List<Applied> applyAll(List<Downstream> messages) {
    return env.computeInTransaction(txn -> {
      List<Applied> results = new ArrayList<>(messages.size());
      for (Downstream message : messages) {
        results.add(applier.apply(txn, message));
      }
      return results;
    });
  }

  @Override
  public SyncPosition position() {
    return env.computeInReadonlyTransaction(applier::position);
  }

  @Override
  public List<StoredPod> pods() {
    return ofKind(Downstream.KIND_POD).stream().map(m -> new StoredPod(m.ref(), m.pod())).toList();
  }

  @Override
  public List<StoredDevice> devices() {
    return ofKind(Downstream.KIND_DEVICE).stream().map(m -> new StoredDevice(m.ref(), m.device())).toList();
  }

  /** The objects of one kind (never Secrets: they are sealed). */
  private List<Downstream> ofKind(String kind) {
    return env.computeInReadonlyTransaction(txn -> {
      List<Downstream> found = new ArrayList<>();
      String prefix = kind + "/";
      try (Cursor cursor = objects.openCursor(txn)) {
        // Keys are kind/namespace/name: a kind is one range, no other object is decoded (or decrypted).
        ByteIterable at = cursor.getSearchKeyRange(StringBinding.stringToEntry(prefix));
        while (at != null && StringBinding.entryToString(cursor.getKey()).startsWith(prefix)) {
          found.add(records.decode(cursor.getValue(), Downstream.class));
          at = cursor.getNext() ? cursor.getValue() : null;
        }
      }
      return found;
    });
  }

  /** What the store holds for the cloud's digest: every object except those whose delete waits for SYNC_END. */
  @Override
  public List<ObjectRef> held() {
    return env.computeInReadonlyTransaction(txn -> {
      List<ObjectRef> refs = new ArrayList<>();
      try (Cursor cursor = objects.openCursor(txn)) {
        while (cursor.getNext()) {
          if (pendingDeletes.get(txn, cursor.getKey()) == null) {
            Downstream held = applier.decodeObject(StringBinding.entryToString(cursor.getKey()), cursor.getValue());
            if (held != null) {
              refs.add(held.ref());
            }
          }
        }
      }
      return refs;
    });
  }

  /** The message that last set the object with this store key, if the store holds it. */
  public Optional<Downstream> object(String key) {
    return env.computeInReadonlyTransaction(txn -> Optional.ofNullable(objects.get(txn,
        StringBinding.stringToEntry(key))).map(value -> applier.decodeObject(key, value))); // unreadable: empty
  }

  @Override
  public Optional<ConfigMapV1> configMap(String namespace, String name) {
    return object(ObjectRef.key(Downstream.KIND_CONFIG_MAP, namespace, name)).map(Downstream::configMap);
  }

  @Override
  public Optional<SecretV1> secret(String namespace, String name) {
    return object(ObjectRef.key(Downstream.KIND_SECRET, namespace, name)).map(Downstream::secret);
  }

  @Override
  public Optional<NodeV1> node(String name) {
    return object(ObjectRef.key(Downstream.KIND_NODE, null, name)).map(Downstream::node);
  }

  @Override
  public Optional<DeviceModelV1> deviceModel(String namespace, String name) {
    return object(ObjectRef.key(Downstream.KIND_DEVICE_MODEL, namespace, name)).map(Downstream::deviceModel);
  }

  /**
   * Appends an event for upstream delivery. Repeats of the newest pending event (same object, type, reason and
   * message) raise its count instead. Beyond {@code maxEvents} undelivered events the oldest is dropped and counted.
   * Returns how many events were dropped by this call (0 or 1).
   */
  @Override
  public int recordEvent(EventReport event) {
    return env.computeInTransaction(txn -> eventOutbox.record(txn, event));
  }

  /** Undelivered events, oldest first, at most {@code max}. */
  @Override
  public List<PendingEvent> pendingEvents(int max) {
    return env.computeInReadonlyTransaction(txn -> eventOutbox.pending(txn, max));
  }

  /**
   * Removes a delivered event, unless it was merged with a repeat after it was read: then it stays, with its new
   * count, and is delivered again (the bridge updates the Event it names).
   */
  @Override
  public void eventDelivered(PendingEvent delivered) {
    env.executeInTransaction(txn -> eventOutbox.delivered(txn, delivered));
  }

  @Override
  public int eventDepth() {
    return env.computeInReadonlyTransaction(eventOutbox::depth);
  }

  /** Events dropped because the outbox was full, over the life of this store. */
  @Override
  public long eventsDropped() {
    return env.computeInReadonlyTransaction(eventOutbox::dropped);
  }

  @Override
  public boolean recordStatus(PodStatusReport report) {
    byte[] encoded = codec.encode(report);
    return env.computeInTransaction(txn -> statusOutbox.record(txn, report.ref().uid(), encoded));
  }

  @Override
  public Optional<PodStatusReport> lastStatus(String uid) {
    return env.computeInReadonlyTransaction(txn -> statusOutbox.last(txn, uid));
  }

  @Override
  public int requeueStatuses() {
    return env.computeInTransaction(txn -> statusOutbox.requeue(txn) + deviceOutbox.requeue(txn));
  }

  @Override
  public List<PendingStatus> pendingStatuses(int max) {
    return env.computeInReadonlyTransaction(txn -> statusOutbox.pending(txn, max)).stream()
        .map(p -> new PendingStatus(p.uid(), p.version(), p.report())).toList();
  }

  @Override
  public boolean recordDeviceStatus(DeviceStatusReport report) {
    byte[] encoded = codec.encode(report);
    return env.computeInTransaction(txn -> deviceOutbox.record(txn, report.ref().uid(), encoded));
  }

  @Override
  public Optional<DeviceStatusReport> lastDeviceStatus(String uid) {
    return env.computeInReadonlyTransaction(txn -> deviceOutbox.last(txn, uid));
  }

  @Override
  public List<PendingDeviceStatus> pendingDeviceStatuses(int max) {
    return env.computeInReadonlyTransaction(txn -> deviceOutbox.pending(txn, max)).stream()
        .map(p -> new PendingDeviceStatus(p.uid(), p.version(), p.report())).toList();
  }

  @Override
  public void deviceStatusDelivered(String uid, long version) {
    env.executeInTransaction(txn -> deviceOutbox.delivered(txn, uid, version));
  }

  @Override
  public int deviceOutboxDepth() {
    return env.computeInReadonlyTransaction(deviceOutbox::depth);
  }

  @Override
  public void forgetDeviceStatus(String uid) {
    env.executeInTransaction(txn -> deviceOutbox.forget(txn, uid));
  }

  @Override
  public void statusDelivered(String uid, long version) {
    env.executeInTransaction(txn -> statusOutbox.delivered(txn, uid, version));
  }

  @Override
  public int outboxDepth() {
    return env.computeInReadonlyTransaction(statusOutbox::depth);
  }

  @Override
  public void forgetStatus(String uid) {
    env.executeInTransaction(txn -> statusOutbox.forget(txn, uid));
  }

  @Override
  public void close() {
    env.close();
  }
}
