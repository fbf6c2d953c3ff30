package io.outpost.network.dns;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Forwarded answers by question (name, type, class), bounded and honouring TTLs: a positive answer lives as long as
 * its shortest TTL (at most {@link #MAX_TTL}); a negative one (NXDOMAIN, or NODATA: no answer) as long as RFC 2308
 * says — the SOA's TTL or its minimum, the lower — and at most {@link #MAX_NEGATIVE_TTL}; a negative answer without
 * an SOA, SERVFAIL and the like are not kept. Positive and negative answers have separate bounds, least recently
 * used out first, so a flood of made-up names cannot push the useful answers out. Served records carry the TTL
 * they have left.
 *
 * <p>Thread-safety: each map is guarded by its own lock; entries are immutable.
 */
final class ResponseCache {
  /** CoreDNS's cache plugin caps: 3600 s for answers, 1800 s for denials. */
  static final long MAX_TTL = 3600;
  static final long MAX_NEGATIVE_TTL = 1800;

  record Key(Name name, int type, int dclass) {}

  /** A cached answer: rcode and sections (no OPT), with the TTLs as received at {@code storedAt}. */
  record Entry(int rcode, List<Record> answer, List<Record> authority, List<Record> additional, long storedAt,
      long expiresAt) {}

  private final Lru positive;
  private final Lru negative;
  private final LongSupplier nanos;
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();

  ResponseCache(int size, int negativeSize, LongSupplier nanos) {
    this.positive = new Lru(size);
    this.negative = new Lru(negativeSize);
    this.nanos = nanos;
  }

  /** The entry for {@code key} if it has not expired; counts a hit or a miss. */
  Entry get(Key key) {
    long now = nanos.getAsLong();
    Entry entry = positive.get(key, now);
    if (entry == null) {
      entry = negative.get(key, now);
    }
    (entry == null ? misses : hits).increment();
    return entry;
  }

  /** Remaining seconds of a record of {@code entry} at this moment (never below 0). */
  long remaining(Entry entry, Record record) {
    long aged = (nanos.getAsLong() - entry.storedAt()) / 1_000_000_000L;
    return Math.max(0, Math.min(record.getTTL(), ttlOf(entry)) - aged);
  }

  private static long ttlOf(Entry entry) {
    return (entry.expiresAt() - entry.storedAt()) / 1_000_000_000L;
  }

  /** Keeps {@code response} (an upstream's answer to the question of {@code key}) if RFC 2308 and TTLs allow. */
  void put(Key key, org.xbill.DNS.Message response) {
    int rcode = response.getRcode();
    List<Record> answer = response.getSection(Section.ANSWER);
    List<Record> authority = response.getSection(Section.AUTHORITY);
    List<Record> additional = new ArrayList<>();
    for (Record record : response.getSection(Section.ADDITIONAL)) {
      if (record.getType() != Type.OPT) {
        additional.add(record);
      }
    }
    boolean isNegative = rcode == Rcode.NXDOMAIN || (rcode == Rcode.NOERROR && answer.isEmpty());
    long ttl;
    if (isNegative) {
      SOARecord soa = (SOARecord) authority.stream().filter(r -> r.getType() == Type.SOA).findFirst().orElse(null);
      if (soa == null) {
        return; // RFC 2308 §5: a negative answer without an SOA is not cached
      }
      ttl = Math.min(Math.min(soa.getTTL(), soa.getMinimum()), MAX_NEGATIVE_TTL);
    } else if (rcode == Rcode.NOERROR) {
      ttl = MAX_TTL;
      for (List<Record> section : List.of(answer, authority, additional)) {
        for (Record record : section) {
          ttl = Math.min(ttl, record.getTTL());
        }
      }
    } else {
      return;
    }
    if (ttl <= 0) {
      return;
    }
    long now = nanos.getAsLong();
    Entry entry = new Entry(rcode, List.copyOf(answer), List.copyOf(authority), List.copyOf(additional), now,
        now + ttl * 1_000_000_000L);
    (isNegative ? negative : positive).put(key, entry);
    (isNegative ? positive : negative).remove(key);
  }

  int size() {
    return positive.size();
  }

  int negativeSize() {
    return negative.size();
  }

  void clear() {
    positive.clear();
    negative.clear();
  }

  /** A least-recently-used map of at most {@code capacity} entries; expired entries go when looked at. */
  private static final class Lru {
    private final int capacity;
    private final LinkedHashMap<Key, Entry> map;

    Lru(int capacity) {
      this.capacity = capacity;
      this.map = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Entry> eldest) {
          return size() > Lru.this.capacity;
        }
      };
    }

    synchronized Entry get(Key key, long now) {
      Entry entry = map.get(key);
      if (entry != null && now - entry.expiresAt() >= 0) {
        map.remove(key);
        return null;
      }
      return entry;
    }

    synchronized void put(Key key, Entry entry) {
      if (capacity > 0) {
        map.put(key, entry);
      }
    }

    synchronized void remove(Key key) {
      map.remove(key);
    }

    synchronized int size() {
      return map.size();
    }

    synchronized void clear() {
      map.clear();
    }
  }
}
