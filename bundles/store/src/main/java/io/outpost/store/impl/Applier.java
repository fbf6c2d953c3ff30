package io.outpost.store.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.store.ApplyResult;
import io.outpost.store.ApplyResult.Outcome;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.XodusEdgeStore.Applied;
import java.util.LinkedHashSet;
import java.util.Set;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.LongBinding;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

/**
 * Applies downstream messages inside the edge store's transactions: the sequence check against the sync position,
 * the object change (Secrets sealed) and the new position, plus the deletes a resync defers to its SYNC_END.
 */
final class Applier {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Applier.class);
  private static final String EPOCH = "epoch";
  private static final String SEQ = "seq";
  /** Non-zero between an applied SYNC_BEGIN and its SYNC_END. */
  private static final String SYNCING = "syncing";

  private final Codec codec;
  private final Store objects;
  private final Store pendingDeletes;
  private final Records records;
  private final SecretSealer sealer;

  Applier(Codec codec, Store objects, Store pendingDeletes, Records records, SecretSealer sealer) {
    this.codec = codec;
    this.objects = objects;
    this.pendingDeletes = pendingDeletes;
    this.records = records;
    this.sealer = sealer;
  }

  Applied apply(Transaction txn, Downstream message) {
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

  Applied applyInOrder(Transaction txn, Downstream message) {
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

  SyncPosition position(Transaction txn) {
    return new SyncPosition(records.readLong(txn, EPOCH), records.readLong(txn, SEQ));
  }

  private SyncPosition setPosition(Transaction txn, Downstream message) {
    records.writeLong(txn, EPOCH, message.epoch());
    records.writeLong(txn, SEQ, message.seq());
    return new SyncPosition(message.epoch(), message.seq());
  }

  /**
   * A stored object, decrypted if it is sealed (Secrets); null for a sealed value the store key cannot open (the
   * key file was lost or replaced): the object counts as not held, so the next resync brings it again and it is
   * overwritten, instead of the store failing on it forever.
   */
  Downstream decodeObject(String key, ByteIterable value) {
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
}
