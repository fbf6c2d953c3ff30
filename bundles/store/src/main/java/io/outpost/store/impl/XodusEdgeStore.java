package io.outpost.store.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.ProtocolException;
import io.outpost.store.ApplyResult;
import io.outpost.store.ApplyResult.Outcome;
import io.outpost.store.PendingStatus;
import io.outpost.store.StoredPod;
import io.outpost.store.SyncPosition;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
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
 * {@code meta} (sync position, status counter), {@code lastStatus} (uid → last recorded status) and {@code outbox}
 * (uid → version + undelivered status). Every write commits with an fsync, so a crash loses nothing acknowledged.
 */
public final class XodusEdgeStore implements AutoCloseable {
  private static final String EPOCH = "epoch";
  private static final String SEQ = "seq";
  private static final String STATUS_COUNTER = "statusCounter";

  private final Codec codec;
  private final Environment env;
  private final Store objects;
  private final Store meta;
  private final Store lastStatus;
  private final Store outbox;

  public XodusEdgeStore(Path directory, Codec codec) {
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
        env.openStore("outbox", StoreConfig.WITHOUT_DUPLICATES, txn)});
    this.objects = stores[0];
    this.meta = stores[1];
    this.lastStatus = stores[2];
    this.outbox = stores[3];
  }

  /** A change applied by {@link #apply}; {@code changedKey} names the object that changed, or is null. */
  public record Applied(ApplyResult result, String changedKey) {}

  public Applied apply(Downstream message) {
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
      return new Applied(new ApplyResult(Outcome.SYNC_STARTED, setPosition(txn, message), null), null);
    }
    if (message.epoch() < at.epoch()) {
      return new Applied(new ApplyResult(Outcome.OLD_EPOCH, at, "epoch " + message.epoch() + " < " + at.epoch()),
          null);
    }
    if (message.epoch() > at.epoch()) {
      return new Applied(new ApplyResult(Outcome.GAP, at, "new bridge epoch " + message.epoch()), null);
    }
    if (message.seq() <= at.seq()) {
      return new Applied(new ApplyResult(Outcome.DUPLICATE, at, "seq " + message.seq() + " <= " + at.seq()), null);
    }
    if (message.seq() > at.seq() + 1) {
      return new Applied(new ApplyResult(Outcome.GAP, at, "expected seq " + (at.seq() + 1) + ", got "
          + message.seq()), null);
    }
    return applyInOrder(txn, message);
  }

  private Applied applyInOrder(Transaction txn, Downstream message) {
    switch (message.op()) {
      case SYNC_END -> {
        return new Applied(new ApplyResult(Outcome.SYNC_ENDED, setPosition(txn, message), null), null);
      }
      case DELETE -> {
        String key = message.ref().key();
        boolean removed = objects.delete(txn, StringBinding.stringToEntry(key));
        return new Applied(new ApplyResult(Outcome.APPLIED, setPosition(txn, message), null), removed ? key : null);
      }
      case UPSERT -> {
        String key = message.ref().key();
        ByteIterable stored = objects.get(txn, StringBinding.stringToEntry(key));
        if (stored != null) {
          ObjectRef held = decodeObject(stored).ref();
          if (held.uid().equals(message.ref().uid())
              && !ResourceVersions.isNewer(message.ref().resourceVersion(), held.resourceVersion())) {
            return new Applied(new ApplyResult(Outcome.STALE, setPosition(txn, message),
                "resourceVersion " + message.ref().resourceVersion() + " is not newer than "
                    + held.resourceVersion()), null);
          }
        }
        objects.put(txn, StringBinding.stringToEntry(key), new ArrayByteIterable(codec.encode(message)));
        return new Applied(new ApplyResult(Outcome.APPLIED, setPosition(txn, message), null), key);
      }
      default -> throw new IllegalStateException("unhandled op " + message.op());
    }
  }

  public SyncPosition position() {
    return env.computeInReadonlyTransaction(this::position);
  }

  private SyncPosition position(Transaction txn) {
    return new SyncPosition(readLong(txn, EPOCH), readLong(txn, SEQ));
  }

  private SyncPosition setPosition(Transaction txn, Downstream message) {
    writeLong(txn, EPOCH, message.epoch());
    writeLong(txn, SEQ, message.seq());
    return new SyncPosition(message.epoch(), message.seq());
  }

  public List<StoredPod> pods() {
    return env.computeInReadonlyTransaction(txn -> {
      List<StoredPod> pods = new ArrayList<>();
      try (Cursor cursor = objects.openCursor(txn)) {
        while (cursor.getNext()) {
          Downstream message = decodeObject(cursor.getValue());
          if (Downstream.KIND_POD.equals(message.ref().kind())) {
            pods.add(new StoredPod(message.ref(), message.pod()));
          }
        }
      }
      return pods;
    });
  }

  public List<ObjectRef> held() {
    return env.computeInReadonlyTransaction(txn -> {
      List<ObjectRef> refs = new ArrayList<>();
      try (Cursor cursor = objects.openCursor(txn)) {
        while (cursor.getNext()) {
          refs.add(decodeObject(cursor.getValue()).ref());
        }
      }
      return refs;
    });
  }

  public boolean recordStatus(PodStatusReport report) {
    byte[] encoded = codec.encode(report);
    return env.computeInTransaction(txn -> {
      ByteIterable uid = StringBinding.stringToEntry(report.ref().uid());
      ByteIterable previous = lastStatus.get(txn, uid);
      if (previous != null && Arrays.equals(bytes(previous), encoded)) {
        return false;
      }
      long version = readLong(txn, STATUS_COUNTER) + 1;
      writeLong(txn, STATUS_COUNTER, version);
      lastStatus.put(txn, uid, new ArrayByteIterable(encoded));
      outbox.put(txn, uid, new ArrayByteIterable(ByteBuffer.allocate(8 + encoded.length)
          .putLong(version).put(encoded).array()));
      return true;
    });
  }

  public List<PendingStatus> pendingStatuses(int max) {
    return env.computeInReadonlyTransaction(txn -> {
      List<PendingStatus> pending = new ArrayList<>();
      try (Cursor cursor = outbox.openCursor(txn)) {
        while (cursor.getNext()) {
          ByteBuffer value = ByteBuffer.wrap(bytes(cursor.getValue()));
          long version = value.getLong();
          byte[] payload = new byte[value.remaining()];
          value.get(payload);
          pending.add(new PendingStatus(StringBinding.entryToString(cursor.getKey()), version,
              decode(payload, PodStatusReport.class)));
        }
      }
      pending.sort(Comparator.comparingLong(PendingStatus::version));
      return pending.size() > max ? List.copyOf(pending.subList(0, max)) : pending;
    });
  }

  public void statusDelivered(String uid, long version) {
    env.executeInTransaction(txn -> {
      ByteIterable key = StringBinding.stringToEntry(uid);
      ByteIterable value = outbox.get(txn, key);
      if (value != null && ByteBuffer.wrap(bytes(value)).getLong() == version) {
        outbox.delete(txn, key);
      }
    });
  }

  public int outboxDepth() {
    return env.computeInReadonlyTransaction(txn -> (int) outbox.count(txn));
  }

  public void forgetStatus(String uid) {
    env.executeInTransaction(txn -> {
      ByteIterable key = StringBinding.stringToEntry(uid);
      lastStatus.delete(txn, key);
      outbox.delete(txn, key);
    });
  }

  @Override
  public void close() {
    env.close();
  }

  private long readLong(Transaction txn, String key) {
    ByteIterable value = meta.get(txn, StringBinding.stringToEntry(key));
    return value == null ? 0 : LongBinding.entryToLong(value);
  }

  private void writeLong(Transaction txn, String key, long value) {
    meta.put(txn, StringBinding.stringToEntry(key), LongBinding.longToEntry(value));
  }

  private Downstream decodeObject(ByteIterable value) {
    return decode(bytes(value), Downstream.class);
  }

  private <T extends io.outpost.protocol.Message> T decode(byte[] payload, Class<T> type) {
    try {
      return codec.decode(payload, type);
    } catch (ProtocolException e) {
      // Only messages this store encoded itself are ever written, so this is damage, not bad input.
      throw new IllegalStateException("edge store holds an undecodable " + type.getSimpleName() + ": "
          + e.getMessage(), e);
    }
  }

  private static byte[] bytes(ByteIterable iterable) {
    return Arrays.copyOf(iterable.getBytesUnsafe(), iterable.getLength());
  }
}
