package io.outpost.store.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.ApplyResult;
import io.outpost.store.ApplyResult.Outcome;
import io.outpost.store.EdgeStore;
import io.outpost.store.PendingEvent;
import io.outpost.store.PendingStatus;
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
 * undelivered status) and {@code events} (append-only, bounded: sequence → undelivered event). Every write commits
 * with an fsync, so a crash loses nothing acknowledged.
 */
public final class XodusEdgeStore implements EdgeStore, AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(XodusEdgeStore.class);
  private static final String EPOCH = "epoch";
  private static final String SEQ = "seq";
  /** Non-zero between an applied SYNC_BEGIN and its SYNC_END. */
  private static final String SYNCING = "syncing";
  public static final int DEFAULT_MAX_EVENTS = 1000;

  private final Codec codec;
  private final Environment env;
  private final Store objects;
  private final Store meta;
  private final Store pendingDeletes;
  private final Records records;
  private final SecretSealer sealer;
  private final EventOutbox eventOutbox;
  private final StatusOutbox statusOutbox;

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
        env.openStore("events", StoreConfig.WITHOUT_DUPLICATES, txn)});
    this.objects = stores[0];
    this.meta = stores[1];
    this.pendingDeletes = stores[4];
    this.records = new Records(codec, meta);
    this.eventOutbox = new EventOutbox(stores[5], records, maxEvents);
    this.statusOutbox = new StatusOutbox(stores[2], stores[3], records);
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
    return env.computeInTransaction(txn -> apply(txn, message));
  }

  /**
   * Applies messages in order in one transaction (one fsync): each is checked against the position the previous
   * one left, exactly as if applied one by one. For bursts, where acknowledging after one commit is enough.
   */
  public List<Applied> applyAll(List<Downstream> messages) {
    return env.computeInTransaction(txn -> {
      List<Applied> results = new ArrayList<>(messages.size());
      for (Downstream message : messages) {
        results.add(apply(txn, message));
      }
      return results;
    });
  }

  private Applied apply(Transaction txn, Downstream message) {
    SyncPosition at = position(txn);
    if (message.op() == Downstream.Op.SYNC_BEGIN) {
      // Only the answer to this node's own pending request gets here (the sync drops any other), so it starts the
      // stream the node follows from now on, whatever its epoch: a bridge whose clock stepped back is followed too.
      records.writeLong(txn, SYNCING, 1);
      return new Applied(new ApplyResult(Outcome.SYNC_STARTED, setPosition(txn, message), null));
    }
    if (message.epoch() < at.epoch()) {
      return new Applied(new ApplyResult(Outcome.OLD_EPOCH, at, "epoch " + message.epoch() + " < " + at.epoch()));
    }
    if (message.epoch() > at.epoch()) {
      return new Applied(new ApplyResult(Outcome.GAP, at, "new bridge epoch " + message.epoch()));
    }
    if (message.seq() <= at.seq()) {
      return new Applied(new ApplyResult(Outcome.DUPLICATE, at, "seq " + message.seq() + " <= " + at.seq()));
    }
    if (message.seq() > at.seq() + 1) {
      return new Applied(new ApplyResult(Outcome.GAP, at, "expected seq " + (at.seq() + 1) + ", got "
          + message.seq()));
    }
    return applyInOrder(txn, message);
  }

  private Applied applyInOrder(Transaction txn, Downstream message) {
    switch (message.op()) {
      case SYNC_END -> {
        records.writeLong(txn, SYNCING, 0);
        return new Applied(new ApplyResult(Outcome.SYNC_ENDED, setPosition(txn, message), null),
            purgePendingDeletes(txn));
      }
      case DELETE -> {
        String key = message.ref().key();
        ByteIterable entry = StringBinding.stringToEntry(key);
        if (records.readLong(txn, SYNCING) != 0 && objects.get(txn, entry) != null) {
          // During a resync the cloud's deletes take effect at SYNC_END: a resync cut short removes nothing.
          pendingDeletes.put(txn, entry, LongBinding.longToEntry(message.seq()));
          return new Applied(new ApplyResult(Outcome.APPLIED, setPosition(txn, message), "deferred to SYNC_END"));
        }
        pendingDeletes.delete(txn, entry);
        boolean removed = objects.delete(txn, entry);
        return new Applied(new ApplyResult(Outcome.APPLIED, setPosition(txn, message), null), removed ? key : null);
      }
      case UPSERT -> {
        String key = message.ref().key();
        ByteIterable stored = objects.get(txn, StringBinding.stringToEntry(key));
        if (stored != null) {
          Downstream previous = decodeObject(key, stored);
          ObjectRef held = previous == null ? null : previous.ref();
          if (held != null && held.uid().equals(message.ref().uid())
              && !ResourceVersions.isNewer(message.ref().resourceVersion(), held.resourceVersion())) {
            return new Applied(new ApplyResult(Outcome.STALE, setPosition(txn, message),
                "resourceVersion " + message.ref().resourceVersion() + " is not newer than "
                    + held.resourceVersion()));
          }
        }
        pendingDeletes.delete(txn, StringBinding.stringToEntry(key));
        byte[] encoded = codec.encode(message);
        if (Downstream.KIND_SECRET.equals(message.ref().kind())) {
          encoded = sealer.seal(key, encoded);
        }
        objects.put(txn, StringBinding.stringToEntry(key), new ArrayByteIterable(encoded));
        return new Applied(new ApplyResult(Outcome.APPLIED, setPosition(txn, message), null), key);
      }
      default -> throw new IllegalStateException("unhandled op " + message.op());
    }
  }

  @Override
  public SyncPosition position() {
    return env.computeInReadonlyTransaction(this::position);
  }

  private SyncPosition position(Transaction txn) {
    return new SyncPosition(records.readLong(txn, EPOCH), records.readLong(txn, SEQ));
  }

  private SyncPosition setPosition(Transaction txn, Downstream message) {
    records.writeLong(txn, EPOCH, message.epoch());
    records.writeLong(txn, SEQ, message.seq());
    return new SyncPosition(message.epoch(), message.seq());
  }

  @Override
  public List<StoredPod> pods() {
    return env.computeInReadonlyTransaction(txn -> {
      List<StoredPod> pods = new ArrayList<>();
      String prefix = Downstream.KIND_POD + "/";
      try (Cursor cursor = objects.openCursor(txn)) {
        // Keys are kind/namespace/name: the pods are one range, no other object is decoded (or decrypted).
        ByteIterable found = cursor.getSearchKeyRange(StringBinding.stringToEntry(prefix));
        while (found != null && StringBinding.entryToString(cursor.getKey()).startsWith(prefix)) {
          Downstream message = records.decode(cursor.getValue(), Downstream.class);
          pods.add(new StoredPod(message.ref(), message.pod()));
          found = cursor.getNext() ? cursor.getValue() : null;
        }
      }
      return pods;
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
            Downstream held = decodeObject(StringBinding.entryToString(cursor.getKey()), cursor.getValue());
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
        StringBinding.stringToEntry(key))).map(value -> decodeObject(key, value))); // unreadable: empty
  }

  /**
   * A stored object, decrypted if it is sealed (Secrets); null for a sealed value the store key cannot open (the
   * key file was lost or replaced): the object counts as not held, so the next resync brings it again and it is
   * overwritten, instead of the store failing on it forever.
   */
  private Downstream decodeObject(String key, ByteIterable value) {
    byte[] bytes = Records.bytes(value);
    if (!SecretSealer.sealed(bytes)) {
      return records.decode(bytes, Downstream.class);
    }
    try {
      return records.decode(sealer.open(key, bytes), Downstream.class);
    } catch (IllegalStateException e) {
      LOG.warn("{}: treated as not held; the bridge sends it again at the next resync", e.getMessage());
      return null;
    }
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

  private Set<String> purgePendingDeletes(Transaction txn) {
    Set<String> removed = new LinkedHashSet<>();
    try (Cursor cursor = pendingDeletes.openCursor(txn)) {
      while (cursor.getNext()) {
        if (objects.delete(txn, cursor.getKey())) {
          removed.add(StringBinding.entryToString(cursor.getKey()));
        }
        cursor.deleteCurrent();
      }
    }
    return removed;
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
    return env.computeInTransaction(statusOutbox::requeue);
  }

  @Override
  public List<PendingStatus> pendingStatuses(int max) {
    return env.computeInReadonlyTransaction(txn -> statusOutbox.pending(txn, max));
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
