package io.outpost.store.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.Message;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.ProtocolException;
import io.outpost.store.Kind;
import java.nio.ByteBuffer;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.ByteIterable;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Cursor;
import jetbrains.exodus.env.Store;
import jetbrains.exodus.env.Transaction;

/**
 * Upgrades a schema 1 store (values in the wire codec's JSON: {@code Downstream} messages as objects, reports as
 * sent) to the store's own encoding, inside one transaction: a crash before its commit leaves schema 1 intact, and
 * the next start runs it again. Values already in the store's encoding are left as they are, so a second run
 * changes nothing. What it cannot read (a Secret sealed under another key, a message the codec now refuses) is left
 * out of the desired state as schema 1 treated it (not held: the next resync brings it again) and logged.
 */
final class V1Migration {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(V1Migration.class);
  /** Schema 1 values were at most max.message.bytes; nothing legitimate is larger than this. */
  private static final int MAX_V1_BYTES = 64 * 1024 * 1024;

  private final Codec wire = new Codec(MAX_V1_BYTES);
  private final StoreCodec codec;
  private final Applier applier;
  private final SecretSealer sealer;

  V1Migration(StoreCodec codec, Applier applier, SecretSealer sealer) {
    this.codec = codec;
    this.applier = applier;
    this.sealer = sealer;
  }

  /** What one run did: values rewritten and values that could not be read. */
  record Counts(int migrated, int unreadable) {}

  Counts migrate(Transaction txn, Stores stores) {
    int[] counts = new int[2];
    objects(txn, stores.objects(), counts);
    reports(txn, stores.lastStatus(), PodStatusReport.class, false, counts);
    reports(txn, stores.statusOutbox(), PodStatusReport.class, true, counts);
    reports(txn, stores.lastDeviceStatus(), DeviceStatusReport.class, false, counts);
    reports(txn, stores.deviceOutbox(), DeviceStatusReport.class, true, counts);
    events(txn, stores.events(), counts);
    return new Counts(counts[0], counts[1]);
  }

  private void objects(Transaction txn, Store objects, int[] counts) {
    for (Entry entry : entries(txn, objects)) {
      String key = StringBinding.entryToString(entry.key());
      byte[] stored = entry.value();
      byte[] plain;
      try {
        plain = SecretSealer.sealed(stored) ? sealer.open(key, stored) : stored;
      } catch (IllegalStateException e) {
        LOG.warn("Schema migration: {} is left as it is, not held ({})", key, e.getMessage());
        counts[1]++;
        continue;
      }
      if (StoreCodec.framed(plain)) {
        continue;
      }
      Downstream message = wire(plain, Downstream.class, key);
      if (message == null) {
        objects.delete(txn, entry.key());
        counts[1]++;
        continue;
      }
      objects.put(txn, entry.key(), new ArrayByteIterable(applier.encodeObject(message.ref(), spec(message))));
      counts[0]++;
    }
  }

  private static Object spec(Downstream message) {
    return switch (Kind.of(message.ref().kind())) {
      case POD -> message.pod();
      case CONFIG_MAP -> message.configMap();
      case SECRET -> message.secret();
      case NODE -> message.node();
      case DEVICE -> message.device();
      case DEVICE_MODEL -> message.deviceModel();
      case SERVICE_ACCOUNT_TOKEN -> message.serviceAccountTokens();
      case SERVICE -> message.service();
      case ENDPOINT_SLICE -> message.endpointSlice();
      case SITE_NETWORK -> message.siteNetwork();
    };
  }

  /** Rewrites reports; in an outbox each value starts with its 8-byte version, kept as it is. */
  private <T extends Message> void reports(Transaction txn, Store store, Class<T> type, boolean versioned,
      int[] counts) {
    for (Entry entry : entries(txn, store)) {
      ByteBuffer value = ByteBuffer.wrap(entry.value());
      long version = versioned ? value.getLong() : 0;
      byte[] payload = new byte[value.remaining()];
      value.get(payload);
      if (StoreCodec.framed(payload)) {
        continue;
      }
      T report = wire(payload, type, StringBinding.entryToString(entry.key()));
      if (report == null) {
        store.delete(txn, entry.key());
        counts[1]++;
        continue;
      }
      byte[] encoded = codec.encode(report);
      store.put(txn, entry.key(), versioned ? CoalescingLog.versioned(version, encoded)
          : new ArrayByteIterable(encoded));
      counts[0]++;
    }
  }

  /** Schema 1 events were bare reports; schema 2 puts a revision (1) before each. */
  private void events(Transaction txn, Store events, int[] counts) {
    for (Entry entry : entries(txn, events)) {
      byte[] stored = entry.value();
      if (stored.length > 10 && StoreCodec.framed(java.util.Arrays.copyOfRange(stored, 8, stored.length))) {
        continue;
      }
      EventReport event = wire(stored, EventReport.class, "event");
      if (event == null) {
        events.delete(txn, entry.key());
        counts[1]++;
        continue;
      }
      events.put(txn, entry.key(), CoalescingLog.versioned(1, codec.encode(event)));
      counts[0]++;
    }
  }

  private record Entry(ByteIterable key, byte[] value) {}

  /** A copy of every entry, so that the store can be rewritten while going through them. */
  private static java.util.List<Entry> entries(Transaction txn, Store store) {
    java.util.List<Entry> entries = new java.util.ArrayList<>();
    try (Cursor cursor = store.openCursor(txn)) {
      while (cursor.getNext()) {
        entries.add(new Entry(new ArrayByteIterable(Records.bytes(cursor.getKey())), Records.bytes(cursor.getValue())));
      }
    }
    return entries;
  }

  private <T extends Message> T wire(byte[] payload, Class<T> type, String what) {
    try {
      return wire.decode(payload, type);
    } catch (ProtocolException e) {
      LOG.warn("Schema migration: dropped an unreadable schema 1 {} {} ({})", type.getSimpleName(), what,
          e.getMessage());
      return null;
    }
  }
}
