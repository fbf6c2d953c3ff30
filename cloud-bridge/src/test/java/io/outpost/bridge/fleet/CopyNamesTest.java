package io.outpost.bridge.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Copy names are DNS labels, deterministic, and distinct for distinct (workload, site) pairs. */
class CopyNamesTest {

  @Test
  void aNameThatIsADnsLabelAlreadyIsKept() {
    assertThat(CopyNames.copyName("web", "paris")).isEqualTo("web-paris");
    assertThat(CopyNames.copyName("web", "site-17")).isEqualTo("web-site-17");
  }

  @Test
  void otherNamesAreSanitisedCutAndGivenADigest() {
    String upper = CopyNames.copyName("web", "Paris_North");
    assertThat(upper).matches("web-paris-north-[0-9a-f]{8}");
    assertThat(upper).as("deterministic").isEqualTo(CopyNames.copyName("web", "Paris_North"));
    assertThat(CopyNames.copyName("web", "paris-north")).as("no clash with the plain pair").isNotEqualTo(upper)
        .isEqualTo("web-paris-north");
    String long1 = CopyNames.copyName("a-very-long-workload-name-that-fills-most-of-a-label", "site-number-one");
    String long2 = CopyNames.copyName("a-very-long-workload-name-that-fills-most-of-a-label", "site-number-two");
    assertThat(long1).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").isNotEqualTo(long2);
    assertThat(CopyNames.copyName("w.x", "a.b")).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  }

  @Test
  void siteNamesAreLabelValues() {
    assertThat(CopyNames.validSite("paris")).isTrue();
    assertThat(CopyNames.validSite("Paris_1.a")).isTrue();
    assertThat(CopyNames.validSite("")).isFalse();
    assertThat(CopyNames.validSite("-paris")).isFalse();
    assertThat(CopyNames.validSite("lyon!")).isFalse();
    assertThat(CopyNames.validSite("x".repeat(64))).isFalse();
    assertThat(CopyNames.labelValue("web")).isEqualTo("web");
    assertThat(CopyNames.labelValue("w".repeat(70))).hasSizeLessThanOrEqualTo(63);
  }
}
