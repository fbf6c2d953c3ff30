package io.outpost.metrics.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PendingRefreshTest {
  private static final Set<String> CONTAINERS = Set.of("io.outpost.containers (28)");

  @Test
  void anUpdateRefreshedBeforeTheNextCheckIsNotWarnedAbout() {
    PendingRefresh.Watch watch = new PendingRefresh.Watch();
    assertThat(watch.observe(CONTAINERS)).as("pending for the first time: maybe a refresh is under way").isNull();
    assertThat(watch.observe(Set.of())).as("refreshed in time: nothing was said, nothing to take back").isNull();
  }

  @Test
  void theSameBundlesPendingAtTwoChecksAreWarnedAboutOnceAndTheirRefreshIsReported() {
    PendingRefresh.Watch watch = new PendingRefresh.Watch();
    assertThat(watch.observe(CONTAINERS)).isNull();
    assertThat(watch.observe(CONTAINERS)).startsWith(PendingRefresh.Watch.PENDING)
        .contains("io.outpost.containers (28)").contains("bundle:refresh");
    assertThat(watch.observe(CONTAINERS)).as("said once").isNull();

    Set<String> more = Set.of("io.outpost.containers (28)", "io.outpost.sync (33)");
    assertThat(watch.observe(more)).as("a new set is first watched").isNull();
    assertThat(watch.observe(more)).contains("io.outpost.sync (33)");
    assertThat(watch.observe(Set.of())).startsWith("Bundles refreshed");
    assertThat(watch.observe(Set.of())).isNull();
  }
}
