package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void delaysStartAtTenSecondsDoubleAndAreCappedAtFiveMinutes() {
    assertThat(Backoff.delay(0)).isEqualTo(Duration.ZERO);
    assertThat(Backoff.delay(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(Backoff.delay(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(Backoff.delay(3)).isEqualTo(Duration.ofSeconds(40));
    assertThat(Backoff.delay(5)).isEqualTo(Duration.ofSeconds(160));
    assertThat(Backoff.delay(6)).isEqualTo(Duration.ofMinutes(5));
    assertThat(Backoff.delay(1000)).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void blocksAttemptsUntilTheDelayIsOverAndResets() {
    Backoff backoff = new Backoff(() -> 0);
    assertThat(backoff.ready(T0)).isTrue();
    assertThat(backoff.failed(T0)).isEqualTo(T0.plusSeconds(10));
    assertThat(backoff.ready(T0.plusSeconds(9))).isFalse();
    assertThat(backoff.ready(T0.plusSeconds(10))).isTrue();
    assertThat(backoff.failed(T0.plusSeconds(10))).isEqualTo(T0.plusSeconds(30));
    assertThat(backoff.failures()).isEqualTo(2);
    assertThat(backoff.currentDelay()).isEqualTo(Duration.ofSeconds(20));
    backoff.reset();
    assertThat(backoff.failures()).isZero();
    assertThat(backoff.next()).isNull();
    assertThat(backoff.ready(T0)).isTrue();
  }

  @Test
  void jitterAddsAtMostTenPercent() {
    Backoff backoff = new Backoff(() -> 0.999);
    Instant next = backoff.failed(T0);
    assertThat(next).isAfter(T0.plusSeconds(10)).isBefore(T0.plusSeconds(11));
  }
}
