package io.outpost.bridge.join;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The join endpoint's per-address rate: per IPv4 address, per IPv6 /64, a bounded set of sources. */
class AddressLimiterTest {
  private final AtomicLong now = new AtomicLong();

  @Test
  void eachAddressHasItsOwnBucketAndIpv6CountsPerSlash64() throws Exception {
    AddressLimiter limiter = new AddressLimiter(60, 2, 100, now::get);
    InetAddress a = InetAddress.getByName("192.0.2.1");
    InetAddress b = InetAddress.getByName("192.0.2.2");
    assertThat(limiter.admit(a)).isZero();
    assertThat(limiter.admit(a)).isZero();
    assertThat(limiter.admit(a)).as("a third request at once waits a second").isEqualTo(TimeUnit.SECONDS.toNanos(1));
    assertThat(limiter.admit(b)).isZero();

    InetAddress v6a = InetAddress.getByName("2001:db8:1:2::1");
    InetAddress v6b = InetAddress.getByName("2001:db8:1:2:ffff::9");
    assertThat(AddressLimiter.key(v6a)).isEqualTo(AddressLimiter.key(v6b));
    assertThat(limiter.admit(v6a)).isZero();
    assertThat(limiter.admit(v6b)).isZero();
    assertThat(limiter.admit(v6a)).as("the same /64").isPositive();
    assertThat(limiter.admit(InetAddress.getByName("2001:db8:1:3::1"))).as("another /64").isZero();

    now.addAndGet(TimeUnit.SECONDS.toNanos(1));
    assertThat(limiter.admit(a)).isZero();
  }

  @Test
  void theSetOfSourcesIsBoundedAndIdleOnesMakeRoom() throws Exception {
    AddressLimiter limiter = new AddressLimiter(60, 1, 2, now::get);
    assertThat(limiter.admit(InetAddress.getByName("192.0.2.1"))).isZero();
    assertThat(limiter.admit(InetAddress.getByName("192.0.2.2"))).isZero();
    assertThat(limiter.admit(InetAddress.getByName("192.0.2.3"))).as("both known sources are active").isPositive();
    now.addAndGet(TimeUnit.SECONDS.toNanos(1)); // both refilled: idle
    assertThat(limiter.admit(InetAddress.getByName("192.0.2.3"))).isZero();
  }
}
