package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.containers.ResourceUsage;
import io.outpost.protocol.Codec;
import io.outpost.protocol.StatsReport;
import io.outpost.protocol.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resource usage on the wire, through a real Mosquitto: sent on {@code up/stats} at QoS 0 on its own cadence once a
 * bridge listens, with cumulative CPU and sample times as the container manager measured them; nothing while the
 * manager is away; a sample that fails is skipped and counted, and the next one goes out.
 */
class StatsPublisherTest {
  private static final String NODE = "edge-stats-test";
  private final Codec codec = new Codec();
  @TempDir Path dir;
  private SyncHarness h;
  private final BlockingQueue<StatsReport> reports = new LinkedBlockingQueue<>();
  private final AtomicLong qos = new AtomicLong(-1);
  /** What the container manager offers now (null: not running); its CPU counter grows with every sample. */
  private final AtomicReference<ResourceUsage> manager = new AtomicReference<>();
  private final AtomicLong samples = new AtomicLong();

  @BeforeEach
  void start() throws Exception {
    h = SyncHarness.start(dir, codec, 1L, SyncHarness.on(Topics.up(NODE, Topics.Up.STATS), (t, m) -> {
      qos.set(m.getQos());
      reports.add(codec.decode(m.getPayload(), StatsReport.class));
    }));
    Settings settings = Settings.from(JoinConfigurationTest.config(Map.of("node_name", NODE, "broker_url",
        h.broker.url(), "insecure_plaintext", true, "stats_interval_seconds", 1, "heartbeat_interval_seconds", 1,
        "identity_dir", dir.resolve("identity").toString())));
    assertThat(settings.statsInterval()).isEqualTo(Duration.ofSeconds(1));
    h.run(() -> new EdgeSync(settings, TestStores.sync(h.store), h.executor, "test", Map::of, () -> null,
        io.outpost.identity.NodeCredentials.of(settings.enrollment(), java.time.Clock.systemUTC()), manager::get));
  }

  @AfterEach
  void stop() throws Exception {
    if (h != null) {
      h.close();
    }
  }

  private EdgeSync sync() {
    return h.sync();
  }

  private ResourceUsage.Snapshot snapshot() {
    long n = samples.incrementAndGet();
    Instant now = Instant.now();
    return new ResourceUsage.Snapshot(new ResourceUsage.NodeUsage(now, now.minusSeconds(3600), n * 1_000_000_000L,
        256L << 20, 300L << 20, 1L << 30, null, null, null, 10L, 20L), List.of(
        new ResourceUsage.PodUsage("default", "web", "uid-web", now.minusSeconds(60), List.of(
            new ResourceUsage.ContainerUsage("app", now.minusSeconds(59), now, n * 500_000_000L, 8L << 20,
                9L << 20))),
        new ResourceUsage.PodUsage("", "orphan", "uid-orphan", null, List.of(
            new ResourceUsage.ContainerUsage("app", null, now, 1, 1, 1)))));
  }

  @Test
  void usageGoesOutAtQosZeroOnItsOwnCadenceOnlyWhileTheContainerManagerRuns() throws Exception {
    // No container manager yet: nothing is sent (the heartbeats go on).
    await().atMost(Duration.ofSeconds(20)).until(() -> sync().state().connected());
    assertThat(reports.poll(2500, java.util.concurrent.TimeUnit.MILLISECONDS)).isNull();
    assertThat(sync().statsSent()).isZero();

    manager.set(this::snapshot);
    StatsReport first = await().atMost(Duration.ofSeconds(20)).until(() -> reports.poll(), r -> r != null);
    StatsReport second = await().atMost(Duration.ofSeconds(20)).until(() -> reports.poll(), r -> r != null);
    assertThat(qos.get()).as("disposable telemetry: QoS 0").isZero();
    assertThat(first.node()).isEqualTo(NODE);
    assertThat(second.usage().cpuCoreNanos()).isGreaterThan(first.usage().cpuCoreNanos());
    assertThat(Instant.parse(second.usage().time())).isAfter(Instant.parse(first.usage().time()));
    assertThat(second.usage().networkRxBytes()).isEqualTo(10L);
    // A pod without a namespace would make the bridge refuse the whole report: it is left out here.
    assertThat(second.pods()).singleElement().satisfies(pod -> {
      assertThat(pod.name()).isEqualTo("web");
      assertThat(pod.containers()).singleElement().satisfies(c -> {
        assertThat(c.name()).isEqualTo("app");
        assertThat(c.memoryWorkingSetBytes()).isEqualTo(8L << 20);
        assertThat(c.startTime()).isNotNull();
      });
    });
    assertThat(sync().statsSent()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aSampleThatFailsIsSkippedCountedAndTheNextOneGoesOut() throws Exception {
    AtomicLong failures = new AtomicLong();
    manager.set(() -> {
      if (failures.getAndIncrement() < 2) {
        throw new IllegalStateException("the container engine cannot be asked: connection refused");
      }
      return snapshot();
    });
    StatsReport report = await().atMost(Duration.ofSeconds(20)).until(() -> reports.poll(), r -> r != null);
    assertThat(report.usage().cpuCoreNanos()).isEqualTo(1_000_000_000L);
    assertThat(sync().statsSkipped()).isEqualTo(2);
  }

  @Test
  void aNegativeIntervalIsRefusedNamingTheKeyAndZeroSendsNothing() {
    assertThatThrownBy(() -> Settings.from(JoinConfigurationTest.config(Map.of("broker_url", "ssl://b:8883",
        "stats_interval_seconds", -1)))).hasMessageContaining("stats.interval.seconds");
    assertThat(Settings.from(JoinConfigurationTest.config(Map.of("broker_url", "ssl://b:8883",
        "stats_interval_seconds", 0))).statsInterval()).isZero();
  }
}
