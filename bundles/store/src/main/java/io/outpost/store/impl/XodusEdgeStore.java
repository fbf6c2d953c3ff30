package io.outpost.store.impl;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ServiceAccountTokensV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.SiteNetworkV1;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.store.StoredSpec;
import io.outpost.store.ApplyResult;
import io.outpost.store.Change;
import io.outpost.store.DesiredState;
import io.outpost.store.Kind;
import io.outpost.store.Outbox;
import io.outpost.store.StoreListener;
import io.outpost.store.StoredDevice;
import io.outpost.store.StoredPod;
import io.outpost.store.SyncLog;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.StoreCodec.StoredObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.EnvironmentConfig;
import jetbrains.exodus.env.Environments;

/**
 * The edge store on one Xodus environment ({@link Stores} names its parts): the desired state, the sync log and the
 * three outboxes, in the store's own encoding ({@link StoreCodec}) under a {@link Schema} version. Opening refuses a
 * newer schema and migrates an older one first. Every write commits with an fsync, so a crash loses nothing
 * acknowledged; {@code listener} hears of committed changes.
 */
public final class XodusEdgeStore implements DesiredState, SyncLog, AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(XodusEdgeStore.class);
  public static final int DEFAULT_MAX_EVENTS = 1000;
  private static final StoreListener NOBODY = new StoreListener() {};

  private final Environment env;
  private final Stores stores;
  private final Applier applier;
  private final StoreListener listener;
  private final Outbox<PodStatusReport> podStatuses;
  private final Outbox<DeviceStatusReport> deviceStatuses;
  private final Outbox<EventReport> events;

  public XodusEdgeStore(Path directory) {
    this(directory, DEFAULT_MAX_EVENTS);
  }

  public XodusEdgeStore(Path directory, int maxEvents) {
    this(directory, maxEvents, directory.resolve("secrets.key"), NOBODY); // Xodus only reads its *.xd files
  }

  public XodusEdgeStore(Path directory, int maxEvents, Path secretKeyFile) {
    this(directory, maxEvents, secretKeyFile, NOBODY);
  }

  /**
   * The store as the gateway lays it out under its {@code data.dir}: the database in {@code store/}, the key that
   * encrypts Secrets in {@code identity/store.key}, beside the node's identity.
   */
  public static XodusEdgeStore inDataDir(Path dataDir, int maxEvents) {
    return inDataDir(dataDir, maxEvents, NOBODY);
  }

  /** {@link #inDataDir(Path, int)}, telling {@code listener} of committed changes. */
  public static XodusEdgeStore inDataDir(Path dataDir, int maxEvents, StoreListener listener) {
    return new XodusEdgeStore(dataDir.resolve("store"), maxEvents, dataDir.resolve("identity")
        .resolve("store.key"), listener);
  }

  /**
   * A store whose Secrets are encrypted with the key in {@code secretKeyFile} (created 0600 if missing). Throws
   * {@link IllegalStateException} for a store of a newer schema, which is left untouched.
   */
  public XodusEdgeStore(Path directory, int maxEvents, Path secretKeyFile, StoreListener listener) {
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be positive, was " + maxEvents);
    }
    this.listener = listener;
    this.env = Environments.newInstance(directory.toFile(), new EnvironmentConfig()
        .setLogDurableWrite(true)
        .setEnvCloseForcedly(true)
        .setGcEnabled(true));
    StoreCodec codec = new StoreCodec();
    Records records;
    try {
      long version = Schema.version(env);
      Schema.requireReadable(version, directory);
      SecretSealer sealer = SecretSealer.open(secretKeyFile);
      this.stores = env.computeInTransaction(txn -> Stores.open(env, txn));
      records = new Records(stores.meta());
      this.applier = new Applier(codec, stores.objects(), stores.pendingDeletes(), records, sealer);
      if (version < Schema.CURRENT) {
        migrate(directory, version, records, codec, sealer);
      } else if (!env.computeInReadonlyTransaction(txn -> records.has(txn, Schema.KEY))) {
        env.executeInTransaction(txn -> records.writeLong(txn, Schema.KEY, Schema.CURRENT));
      }
    } catch (RuntimeException e) {
      env.close();
      throw e;
    }
    Runnable changed = listener::outboxChanged;
    this.podStatuses = new TransactionalOutbox<>(Outbox.POD_STATUS, env, new CoalescingLog<>(stores.lastStatus(),
        stores.statusOutbox(), records, codec, PodStatusReport.class, r -> r.ref().uid(), "statusCounter"), changed);
    this.deviceStatuses = new TransactionalOutbox<>(Outbox.DEVICE_STATUS, env, new CoalescingLog<>(
        stores.lastDeviceStatus(), stores.deviceOutbox(), records, codec, DeviceStatusReport.class,
        r -> r.ref().uid(), "deviceStatusCounter"), changed);
    this.events = new TransactionalOutbox<>(Outbox.EVENT, env, new AppendLog<>(stores.events(), records, codec,
        EventReport.class, new EventRepeats(), maxEvents, "eventCounter", "eventsDropped"), changed);
  }

  /** Migrates a schema 1 store and records the new version, in one transaction. */
  private void migrate(Path directory, long from, Records records, StoreCodec codec, SecretSealer sealer) {
    LOG.info("Edge store at {} has schema version {}: migrating it to {}", directory, from, Schema.CURRENT);
    long started = System.nanoTime();
    V1Migration.Counts counts = env.computeInExclusiveTransaction(txn -> {
      V1Migration.Counts done = new V1Migration(codec, applier, sealer).migrate(txn, stores);
      records.writeLong(txn, Schema.KEY, Schema.CURRENT);
      return done;
    });
    LOG.info("Edge store migrated to schema version {} in {} ms: {} value(s) rewritten, {} unreadable left out",
        Schema.CURRENT, (System.nanoTime() - started) / 1_000_000, counts.migrated(), counts.unreadable());
  }

  /** The schema version the store is at (always {@link Schema#CURRENT} once open). */
  public long schemaVersion() {
    return env.computeInReadonlyTransaction(txn -> new Records(stores.meta()).readLong(txn, Schema.KEY));
  }

  public Outbox<PodStatusReport> podStatuses() {
    return podStatuses;
  }

  public Outbox<DeviceStatusReport> deviceStatuses() {
    return deviceStatuses;
  }

  public Outbox<EventReport> events() {
    return events;
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
  public ApplyResult apply(Change change) {
    return applyTracked(change).result();
  }

  /** {@link #apply}, also naming the objects that changed. */
  public Applied applyTracked(Change change) {
    Applied applied = env.computeInTransaction(txn -> applier.apply(txn, change));
    announce(applied.changedKeys());
    return applied;
  }

  @Override
  public List<ApplyResult> applyAll(List<Change> changes) {
    List<Applied> applied = env.computeInTransaction(txn -> {
      List<Applied> results = new ArrayList<>(changes.size());
      for (Change change : changes) {
        results.add(applier.apply(txn, change));
      }
      return results;
    });
    Set<String> changed = new java.util.LinkedHashSet<>();
    applied.forEach(a -> changed.addAll(a.changedKeys()));
    announce(changed);
    return applied.stream().map(Applied::result).toList();
  }

  private void announce(Set<String> changedKeys) {
    if (!changedKeys.isEmpty()) {
      listener.objectsChanged(changedKeys);
    }
  }

  @Override
  public SyncPosition position() {
    return env.computeInReadonlyTransaction(applier::position);
  }

  @Override
  public List<StoredPod> pods() {
    return ofKind(Kind.POD).stream().map(o -> new StoredPod(o.ref(), (PodV1) o.spec())).toList();
  }

  @Override
  public List<StoredDevice> devices() {
    return ofKind(Kind.DEVICE).stream().map(o -> new StoredDevice(o.ref(), (DeviceV1) o.spec())).toList();
  }

  /** The objects of one kind (never Secrets or tokens: they are sealed). */
  private List<StoredObject> ofKind(Kind kind) {
    return env.computeInReadonlyTransaction(txn -> {
      List<StoredObject> found = new ArrayList<>();
      String prefix = kind.label() + "/";
      try (Cursor cursor = stores.objects().openCursor(txn)) {
        // Keys are kind/namespace/name: a kind is one range, no other object is decoded (or decrypted).
        ByteIterable at = cursor.getSearchKeyRange(StringBinding.stringToEntry(prefix));
        while (at != null && StringBinding.entryToString(cursor.getKey()).startsWith(prefix)) {
          StoredObject object = applier.decodeObject(StringBinding.entryToString(cursor.getKey()),
              cursor.getValue());
          if (object != null) {
            found.add(object);
          }
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
      try (Cursor cursor = stores.objects().openCursor(txn)) {
        while (cursor.getNext()) {
          if (stores.pendingDeletes().get(txn, cursor.getKey()) == null) {
            StoredObject held = applier.decodeObject(StringBinding.entryToString(cursor.getKey()),
                cursor.getValue());
            if (held != null) {
              refs.add(held.ref());
            }
          }
        }
      }
      return refs;
    });
  }

  /** The spec of the object with this store key, if the store holds it (and can read it). */
  private Optional<Object> spec(Kind kind, String namespace, String name) {
    String key = ObjectRef.key(kind.label(), namespace, name);
    return env.computeInReadonlyTransaction(txn -> Optional.ofNullable(stores.objects().get(txn,
        StringBinding.stringToEntry(key))).map(value -> applier.decodeObject(key, value)).map(StoredObject::spec));
  }

  @Override
  public Optional<ConfigMapV1> configMap(String namespace, String name) {
    return spec(Kind.CONFIG_MAP, namespace, name).map(ConfigMapV1.class::cast);
  }

  @Override
  public Optional<SecretV1> secret(String namespace, String name) {
    return spec(Kind.SECRET, namespace, name).map(SecretV1.class::cast);
  }

  @Override
  public Optional<ServiceAccountTokensV1> serviceAccountTokens(String namespace, String podName) {
    return spec(Kind.SERVICE_ACCOUNT_TOKEN, namespace, podName).map(ServiceAccountTokensV1.class::cast);
  }

  @Override
  public Optional<NodeV1> node(String name) {
    return spec(Kind.NODE, null, name).map(NodeV1.class::cast);
  }

  @Override
  public Optional<DeviceModelV1> deviceModel(String namespace, String name) {
    return spec(Kind.DEVICE_MODEL, namespace, name).map(DeviceModelV1.class::cast);
  }

  @Override
  public List<StoredSpec<ServiceV1>> services() {
    return ofKind(Kind.SERVICE).stream().map(o -> new StoredSpec<>(o.ref(), (ServiceV1) o.spec())).toList();
  }

  @Override
  public Optional<ServiceV1> service(String namespace, String name) {
    return spec(Kind.SERVICE, namespace, name).map(ServiceV1.class::cast);
  }

  @Override
  public List<StoredSpec<EndpointSliceV1>> endpointSlices() {
    return ofKind(Kind.ENDPOINT_SLICE).stream()
        .map(o -> new StoredSpec<>(o.ref(), (EndpointSliceV1) o.spec())).toList();
  }

  @Override
  public Optional<SiteNetworkV1> siteNetwork(String nodeName) {
    return spec(Kind.SITE_NETWORK, null, nodeName).map(SiteNetworkV1.class::cast);
  }

  @Override
  public void close() {
    env.close();
  }
}
