package io.outpost.bridge.site;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.bridge.net.Cidr;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lowest free node block of a site's pool. */
class PodCidrAllocatorTest {

  private static Cidr cidr(String text) {
    return Cidr.parse(text);
  }

  @Test
  void theLowestBlockNoOtherNodeUsesIsChosen() {
    Cidr pool = cidr("10.42.0.0/16");
    assertThat(PodCidrAllocator.lowestFree(pool, 24, List.of())).contains(cidr("10.42.0.0/24"));
    assertThat(PodCidrAllocator.lowestFree(pool, 24, List.of(cidr("10.42.0.0/24"), cidr("10.42.2.0/24"))))
        .contains(cidr("10.42.1.0/24"));
    assertThat(PodCidrAllocator.lowestFree(pool, 24, List.of(cidr("10.42.0.0/23"), cidr("10.42.2.0/24"))))
        .as("a wider range covers several blocks").contains(cidr("10.42.3.0/24"));
    assertThat(PodCidrAllocator.lowestFree(pool, 24, List.of(cidr("10.42.0.128/25"))))
        .as("a narrower one spoils its whole block").contains(cidr("10.42.1.0/24"));
    assertThat(PodCidrAllocator.lowestFree(pool, 24, List.of(cidr("10.0.0.0/8"))))
        .as("a range around the pool leaves nothing").isEmpty();
    assertThat(PodCidrAllocator.lowestFree(pool, 24, List.of(cidr("fd00:42::/64"), cidr("10.43.0.0/24"))))
        .as("ranges of the other family or outside the pool do not count").contains(cidr("10.42.0.0/24"));
  }

  @Test
  void aFullPoolAndAPoolSmallerThanABlockGiveNothing() {
    assertThat(PodCidrAllocator.lowestFree(cidr("10.50.0.0/24"), 24, List.of(cidr("10.50.0.0/24")))).isEmpty();
    assertThat(PodCidrAllocator.lowestFree(cidr("10.50.0.0/25"), 24, List.of())).isEmpty();
    assertThat(PodCidrAllocator.lowestFree(cidr("10.50.0.0/23"), 24, List.of(cidr("10.50.1.0/24"))))
        .contains(cidr("10.50.0.0/24"));
  }

  @Test
  void ipv6PoolsAreCarvedTheSameWay() {
    Cidr pool = cidr("fd00:42::/48");
    assertThat(PodCidrAllocator.lowestFree(pool, 64, List.of(cidr("fd00:42::/64"), cidr("fd00:42:0:1::/64"))))
        .contains(cidr("fd00:42:0:2::/64"));
    assertThat(PodCidrAllocator.lowestFree(cidr("2001:db8::/32"), 64, List.of(cidr("2001:db8::/33"))))
        .as("far past a large used range, without walking it").contains(cidr("2001:db8:8000::/64"));
  }
}
