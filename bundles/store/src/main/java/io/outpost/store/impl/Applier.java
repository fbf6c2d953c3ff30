package io.outpost.store.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.store.ApplyResult;
import io.outpost.store.ApplyResult.Outcome;
import io.outpost.store.Change;
import io.outpost.store.Kind;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.StoreCodec.StoredObject;
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
 * Applies sync-log changes inside the edge store's transactions: the sequence check against the sync position, the
 * object change (Secrets sealed) and the new position, plus the removals a resync defers to its end.
 */
final class Applier {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Applier.class);
  private static final String EPOCH = "epoch";
  private static final String SEQ = "seq";
  /** Non-zero between an applied resync begin and its end. */
  private static final String SYNCING = "syncing";

  private final StoreCodec codec;
  private final Store objects;
  private final Store pendingDeletes;
  private final Records records;
  private final SecretSealer sealer;

  Applier(StoreCodec codec, Store objects, Store pendingDeletes, Records records, SecretSealer sealer) {
    this.codec = codec;
    this.objects = objects;
    this.pendingDeletes = pendingDeletes;
    this.records = records;
    this.sealer = sealer;
  }

  Applied apply(Transaction txn, Change change) {
    SyncPosition at = position(txn);
    SyncPosition to = change.at();
    if (change instanceof Change.ResyncBegin) {
      // Only the answer to this node's own pending request gets here (the sync drops any other), so it starts the
      // stream the node follows from now on, whatever its epoch: a bridge whose clock stepped back is followed too.
      records.writeLong(txn, SYNCING, 1);
      return new Applied(new ApplyResult(Outcome.SYNC_STARTED, setPosition(txn, to), null));
    }
    if (to.epoch() < at.epoch()) {
      return new Applied(new ApplyResult(Outcome.OLD_EPOCH, at, "epoch " + to.epoch() + " < " + at.epoch()));
    }
    if (to.epoch() > at.epoch()) {
      return new Applied(new ApplyResult(Outcome.GAP, at, "new bridge epoch " + to.epoch()));
    }
    if (to.seq() <= at.seq()) {
      return new Applied(new ApplyResult(Outcome.DUPLICATE, at, "seq " + to.seq() + " <= " + at.seq()));
    }
    if (to.seq() > at.seq() + 1) {
      return new Applied(new ApplyResult(Outcome.GAP, at, "expected seq " + (at.seq() + 1) + ", got " + to.seq()));
    }
    return applyInOrder(txn, change);
  }

  private Applied applyInOrder(Transaction txn, Change change) {
    if (change instanceof Change.ResyncEnd end) {
      records.writeLong(txn, SYNCING, 0);
      return new Applied(new ApplyResult(Outcome.SYNC_ENDED, setPosition(txn, end.at()), null),
          purgePendingDeletes(txn));
    }
    if (change instanceof Change.Remove remove) {
      return remove(txn, remove);
    }
    if (change instanceof Change.Put put) {
      return put(txn, put);
    }
    throw new IllegalStateException("unhandled change " + change.getClass().getSimpleName());
  }

  private Applied remove(Transaction txn, Change.Remove remove) {
    String key = remove.ref().key();
    ByteIterable entry = StringBinding.stringToEntry(key);
    if (records.readLong(txn, SYNCING) != 0 && objects.get(txn, entry) != null) {
      // During a resync the cloud's deletes take effect at its end: a resync cut short removes nothing.
      pendingDeletes.put(txn, entry, LongBinding.longToEntry(remove.at().seq()));
      return new Applied(new ApplyResult(Outcome.APPLIED, setPosition(txn, remove.at()), "deferred to SYNC_END"));
    }
    pendingDeletes.delete(txn, entry);
    boolean removed = objects.delete(txn, entry);
    return new Applied(new ApplyResult(Outcome.APPLIED, setPosition(txn, remove.at()), null), removed ? key : null);
  }

  private Applied put(Transaction txn, Change.Put put) {
    String key = put.ref().key();
    ByteIterable stored = objects.get(txn, StringBinding.stringToEntry(key));
    if (stored != null) {
      StoredObject previous = decodeObject(key, stored);
      ObjectRef held = previous == null ? null : previous.ref();
      if (held != null && held.uid().equals(put.ref().uid())
          && !ResourceVersions.isNewer(put.ref().resourceVersion(), held.resourceVersion())
          && !newContentAtSameVersion(put.ref(), held)) {
        return new Applied(new ApplyResult(Outcome.STALE, setPosition(txn, put.at()),
            "resourceVersion " + put.ref().resourceVersion() + " is not newer than " + held.resourceVersion()));
      }
    }
    pendingDeletes.delete(txn, StringBinding.stringToEntry(key));
    objects.put(txn, StringBinding.stringToEntry(key), new ArrayByteIterable(encodeObject(put.ref(), put.spec())));
    return new Applied(new ApplyResult(Outcome.APPLIED, setPosition(txn, put.at()), null), key);
  }

  /**
   * Whether {@code incoming} carries other content than {@code held} under the same resourceVersion: what the bridge
   * derives for this node from more than one object changes without the object's own version moving — a SiteNetwork
   * (named and versioned as the node's Node) when a peer's range or address changes, an EndpointSlice filtered to the
   * site when a node joins or leaves the site. The downstream stream is sequenced, so the later message is the newer
   * content; an older version (a smaller number) is still refused.
   */
  private static boolean newContentAtSameVersion(ObjectRef incoming, ObjectRef held) {
    return incoming.resourceVersion().equals(held.resourceVersion()) && incoming.hash() != null
        && !incoming.hash().equals(held.hash());
  }

  /** An object as stored: in the store's encoding, sealed if it is a Secret or a pod's ServiceAccount tokens. */
  byte[] encodeObject(ObjectRef ref, Object spec) {
    byte[] encoded = codec.encodeObject(ref, spec);
    return Kind.SECRET.label().equals(ref.kind()) || Kind.SERVICE_ACCOUNT_TOKEN.label().equals(ref.kind())
        ? sealer.seal(ref.key(), encoded) : encoded;
  }

  SyncPosition position(Transaction txn) {
    return new SyncPosition(records.readLong(txn, EPOCH), records.readLong(txn, SEQ));
  }

  private SyncPosition setPosition(Transaction txn, SyncPosition to) {
    records.writeLong(txn, EPOCH, to.epoch());
    records.writeLong(txn, SEQ, to.seq());
    return to;
  }

  /**
   * A stored object, decrypted if it is sealed (Secrets); null for a sealed value the store key cannot open (the
   * key file was lost or replaced): the object counts as not held, so the next resync brings it again and it is
   * overwritten, instead of the store failing on it forever.
   */
  StoredObject decodeObject(String key, ByteIterable value) {
    byte[] bytes = Records.bytes(value);
    if (!SecretSealer.sealed(bytes)) {
      return codec.decodeObject(bytes);
    }
    try {
      return codec.decodeObject(sealer.open(key, bytes));
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
