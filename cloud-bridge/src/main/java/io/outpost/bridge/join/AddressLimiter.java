package io.outpost.bridge.join;

import io.outpost.bridge.flow.TokenBucket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A request rate per source address for the join endpoint, which faces the internet: a token bucket per IPv4
 * address and per IPv6 /64 (one host usually holds a whole /64). The set of sources is bounded: when it is full,
 * sources whose bucket has refilled (idle ones) are forgotten; if none is idle, new sources wait until one is.
 */
final class AddressLimiter {
  private final double perSecond;
  private final int burst;
  private final int maxSources;
  private final LongSupplier nanos;
  private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();

  AddressLimiter(int perMinute, int burst, int maxSources, LongSupplier nanos) {
    this.perSecond = perMinute / 60.0;
    this.burst = burst;
    this.maxSources = maxSources;
    this.nanos = nanos;
  }

  /** 0 if a request from {@code address} may be served now, else the nanoseconds until one may. */
  long admit(InetAddress address) {
    String key = key(address);
    TokenBucket bucket = buckets.get(key);
    if (bucket == null) {
      if (buckets.size() >= maxSources) {
        buckets.values().removeIf(TokenBucket::isFull);
        if (buckets.size() >= maxSources) {
          return (long) Math.ceil(1e9 / perSecond); // every known source is active: a newcomer waits a period
        }
      }
      bucket = buckets.computeIfAbsent(key, k -> new TokenBucket(perSecond, burst, nanos));
    }
    return bucket.tryAcquire() ? 0 : Math.max(1, bucket.nanosUntilToken());
  }

  /** The IPv4 address, or the IPv6 /64 it lies in. */
  static String key(InetAddress address) {
    if (address instanceof Inet6Address) {
      byte[] bytes = address.getAddress();
      StringBuilder prefix = new StringBuilder();
      for (int i = 0; i < 8; i += 2) {
        prefix.append(String.format("%02x%02x:", bytes[i], bytes[i + 1]));
      }
      return prefix.append(":/64").toString();
    }
    return address.getHostAddress();
  }
}
