package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What of the node's full heartbeat goes on the link: facts on connect, change and refresh; metrics on cadence. */
class ReportShaperTest {
  @TempDir Path dir;

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-07T06:00:00Z"));
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  };
  private ReportShaper shaper;
  private NodeFacts facts;

  @BeforeEach
  void setUp() {
    shaper = new ReportShaper(Duration.ofMinutes(10), Duration.ofSeconds(60), clock);
    facts = new NodeFacts("edge-1", "1.0.0", 110, NodeStatusSettings.from("nodefs.available<10%", "", "", 0, dir, ""),
        Clock.systemUTC());
    shaper.reset(); // connected
  }

  /** The node's real heartbeat, as {@link EdgeSync} builds it every interval. */
  private NodeReport full() {
    return facts.report(true, "Outpost edge ready", Map.of("outpost_edge_pods", 3.0));
  }

  private ReportShaper.Shaped sendAndAck(NodeReport full) {
    ReportShaper.Shaped shaped = shaper.shape(full);
    shaper.delivered(shaped);
    return shaped;
  }

  private void advance(Duration by) {
    now.set(now.get().plus(by));
  }

  @Test
  void consecutiveHeartbeatsWithUnchangedFactsOmitThemAndAreAFewDozenBytes() {
    NodeReport first = sendAndAck(full()).report();
    assertThat(first.omitsFacts()).isFalse();
    assertThat(first.capacity()).isNotEmpty();
    assertThat(first.addresses()).isNotEmpty();
    assertThat(first.info()).isNotNull();
    assertThat(first.allocatable()).isNotEmpty();
    assertThat(first.conditions()).isNotEmpty();
    assertThat(first.metrics()).containsEntry("outpost_edge_pods", 3.0);

    advance(Duration.ofSeconds(10));
    NodeReport second = sendAndAck(full()).report();
    assertThat(second.omitsFacts()).as("nothing changed: no facts").isTrue();
    assertThat(second.metrics()).as("metrics wait for their 60 s cadence").isNull();
    assertThat(second.ready()).isTrue();
    byte[] encoded = new Codec().encode(second);
    assertThat(encoded.length).as(new String(encoded, java.nio.charset.StandardCharsets.UTF_8)).isLessThan(110);
    assertThat(new Codec().encode(first).length).isGreaterThan(4 * encoded.length);

    advance(Duration.ofSeconds(50));
    NodeReport third = sendAndAck(full()).report();
    assertThat(third.metrics()).as("60 s after the last samples").containsEntry("outpost_edge_pods", 3.0);
    assertThat(third.omitsFacts()).isTrue();
  }

  @Test
  void aChangedFactGoesAloneAndTheOthersStayOmitted() {
    sendAndAck(full());
    advance(Duration.ofSeconds(10));
    NodeReport real = full();
    Map<String, String> capacity = new HashMap<>(real.capacity());
    capacity.put("pods", "111");
    NodeReport changed = sendAndAck(withCapacity(real, capacity)).report();
    assertThat(changed.capacity()).containsEntry("pods", "111");
    assertThat(changed.addresses()).isNull();
    assertThat(changed.info()).isNull();
    assertThat(changed.allocatable()).isNull();
    assertThat(changed.conditions()).isNull();

    advance(Duration.ofSeconds(10));
    assertThat(sendAndAck(withCapacity(full(), capacity)).report().omitsFacts()).as("delivered, then unchanged")
        .isTrue();
    advance(Duration.ofSeconds(10));
    assertThat(sendAndAck(full()).report().capacity()).as("changed back").isEqualTo(real.capacity());
  }

  @Test
  void aReconnectSendsEverythingAgain() {
    sendAndAck(full());
    advance(Duration.ofSeconds(10));
    assertThat(sendAndAck(full()).report().omitsFacts()).isTrue();
    shaper.reset();
    NodeReport afterConnect = sendAndAck(full()).report();
    assertThat(afterConnect.omitsFacts()).isFalse();
    assertThat(afterConnect.info()).isNotNull();
    assertThat(afterConnect.addresses()).isNotEmpty();
    assertThat(afterConnect.metrics()).as("metrics on connect too").isNotNull();
  }

  @Test
  void factsNotYetAcknowledgedGoAgainAndAnAcknowledgementFromAnEarlierConnectionCountsForNothing() {
    ReportShaper.Shaped unacknowledged = shaper.shape(full());
    advance(Duration.ofSeconds(10));
    assertThat(shaper.shape(full()).report().omitsFacts()).as("the broker has not acknowledged the first").isFalse();
    shaper.reset();
    shaper.delivered(unacknowledged); // late, from the connection before
    assertThat(shaper.shape(full()).report().omitsFacts()).isFalse();
  }

  @Test
  void allFactsAreRefreshedAfterTheRefreshInterval() {
    sendAndAck(full());
    advance(Duration.ofMinutes(5));
    assertThat(sendAndAck(full()).report().omitsFacts()).isTrue();
    advance(Duration.ofMinutes(5));
    NodeReport refreshed = sendAndAck(full()).report();
    assertThat(refreshed.omitsFacts()).isFalse();
    assertThat(refreshed.capacity()).isNotEmpty();
    assertThat(refreshed.info()).isNotNull();
    advance(Duration.ofSeconds(10));
    assertThat(sendAndAck(full()).report().omitsFacts()).as("the refresh was acknowledged").isTrue();
  }

  private static NodeReport withCapacity(NodeReport report, Map<String, String> capacity) {
    return new NodeReport(report.v(), report.node(), report.sentAt(), report.ready(), report.message(), capacity,
        report.addresses(), report.info(), report.metrics(), report.allocatable(), report.conditions());
  }
}
