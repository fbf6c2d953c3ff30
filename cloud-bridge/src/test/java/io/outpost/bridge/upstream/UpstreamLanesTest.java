package io.outpost.bridge.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.bridge.FakeEdge;
import io.outpost.bridge.config.FairShares;
import io.outpost.bridge.flow.TokenBucket;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The upstream lanes on their own: per-node rates and queue bounds with counted drops, round-robin turns, and the
 * heartbeat lane that keeps only a node's newest heartbeat and is never held up by the message lane. Time is a
 * counter the test moves.
 */
class UpstreamLanesTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final Metrics metrics = new Metrics();
  private final AtomicLong now = new AtomicLong();
  private final List<String> handled = new CopyOnWriteArrayList<>();
  /** Open until the test releases it: the handler blocks on topics containing "gate". */
  private final CountDownLatch gate = new CountDownLatch(1);
  private final CountDownLatch gateReached = new CountDownLatch(1);
  private UpstreamLanes lanes;

  private UpstreamLanes lanes(Map<String, String> settings) {
    lanes = new UpstreamLanes(FairShares.from(settings), metrics, now::get, (topic, payload) -> {
      if (new String(payload).contains("gate")) {
        gateReached.countDown();
        try {
          gate.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      handled.add(topic + " " + new String(payload));
    });
    return lanes;
  }

  @AfterEach
  void close() {
    gate.countDown();
    if (lanes != null) {
      lanes.close();
    }
  }

  private static String topic(String node, Topics.Up channel) {
    return Topics.up(node, channel);
  }

  private boolean status(String node, String body) {
    return lanes.offer(node, Topics.Up.STATUS, topic(node, Topics.Up.STATUS), body.getBytes());
  }

  private long dropped(String node, String channel, String reason) {
    return metrics.get(UpstreamLanes.DROPPED, "node", node, "channel", channel, "reason", reason);
  }

  @Test
  void aNodeOverItsRateIsDroppedAndCountedAndServedAgainOnceTokensRefill() {
    lanes(Map.of("OUTPOST_UPSTREAM_PER_SECOND", "10", "OUTPOST_UPSTREAM_BURST", "5"));
    for (int i = 0; i < 5; i++) {
      assertThat(status("edge-a", "s" + i)).isTrue();
    }
    assertThat(status("edge-a", "over")).isFalse();
    assertThat(lanes.offer("edge-a", Topics.Up.EVENT, topic("edge-a", Topics.Up.EVENT), "e".getBytes()))
        .as("each channel has its own bucket: an event flood does not cost the node its statuses").isTrue();
    assertThat(status("edge-b", "b0")).as("another node has its own bucket").isTrue();
    assertThat(dropped("edge-a", "status", "rate_limited")).isEqualTo(1);
    assertThat(dropped("edge-b", "status", "rate_limited")).isZero();

    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100)); // one token at 10/s
    assertThat(status("edge-a", "refilled")).isTrue();
    assertThat(status("edge-a", "over again")).isFalse();
    await().atMost(WAIT).until(() -> handled.size() == 8);
    assertThat(handled).noneMatch(h -> h.endsWith("over") || h.endsWith("over again"));
  }

  @Test
  void aNodesQueueIsBoundedInMessagesAndBytes() throws Exception {
    lanes(Map.of("OUTPOST_UPSTREAM_THREADS", "1", "OUTPOST_UPSTREAM_QUEUE_MESSAGES", "3",
        "OUTPOST_UPSTREAM_QUEUE_BYTES", "1024"));
    assertThat(status("edge-a", "gate")).isTrue();
    assertThat(gateReached.await(10, TimeUnit.SECONDS)).isTrue(); // the thread is busy: what follows waits
    assertThat(status("edge-a", "1")).isTrue();
    assertThat(status("edge-a", "2")).isTrue();
    assertThat(status("edge-a", "3")).isTrue();
    assertThat(status("edge-a", "4")).as("a fourth message waiting").isFalse();
    assertThat(lanes.deepestNode()).isEqualTo(3);
    assertThat(lanes.offer("edge-b", Topics.Up.STATUS, topic("edge-b", Topics.Up.STATUS), new byte[1025]))
        .as("more bytes than a node may have waiting").isFalse();
    assertThat(dropped("edge-a", "status", "queue_full")).isEqualTo(1);
    assertThat(dropped("edge-b", "status", "queue_full")).isEqualTo(1);
    gate.countDown();
    await().atMost(WAIT).until(() -> handled.size() == 4);
    assertThat(lanes.depth()).isZero();
  }

  @Test
  void nodesTakeTurnsSoThatABacklogDelaysOnlyItsOwnNode() throws Exception {
    lanes(Map.of("OUTPOST_UPSTREAM_THREADS", "1"));
    assertThat(status("edge-flood", "gate")).isTrue();
    assertThat(gateReached.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < 100; i++) {
      assertThat(status("edge-flood", "f" + i)).isTrue();
    }
    assertThat(status("edge-calm", "calm")).isTrue();
    gate.countDown();
    await().atMost(WAIT).until(() -> handled.size() == 102);
    int calm = handled.indexOf(topic("edge-calm", Topics.Up.STATUS) + " calm");
    assertThat(calm).as("the calm node's message is handled in the first round, not after the flood").isLessThan(4);
    assertThat(handled.stream().filter(h -> h.startsWith(topic("edge-flood", Topics.Up.STATUS))).toList())
        .as("one node's messages stay in order").startsWith(topic("edge-flood", Topics.Up.STATUS) + " gate",
            topic("edge-flood", Topics.Up.STATUS) + " f0", topic("edge-flood", Topics.Up.STATUS) + " f1");
  }

  @Test
  void heartbeatsKeepOnlyTheNewestPerNodeAndAreNotHeldUpByTheMessageLane() throws Exception {
    lanes(Map.of("OUTPOST_UPSTREAM_THREADS", "1", "OUTPOST_HEARTBEAT_THREADS", "1"));
    assertThat(status("edge-flood", "gate")).isTrue();
    assertThat(gateReached.await(10, TimeUnit.SECONDS)).isTrue(); // the message lane is stuck
    lanes.heartbeat("edge-calm", topic("edge-calm", Topics.Up.NODE), "hb".getBytes());
    await().atMost(WAIT).until(() -> handled.contains(topic("edge-calm", Topics.Up.NODE) + " hb"));

    CountDownLatch hold = new CountDownLatch(1);
    // Hold the heartbeat lane with a heartbeat that waits, then send ten from one node: only the last is handled.
    UpstreamLanes held = new UpstreamLanes(FairShares.from(Map.of("OUTPOST_HEARTBEAT_THREADS", "1",
        "OUTPOST_HEARTBEAT_BURST", "20")), metrics,
        now::get, (topic, payload) -> {
          if (new String(payload).equals("hold")) {
            try {
              hold.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          handled.add(topic + " " + new String(payload));
        });
    try {
      held.heartbeat("edge-x", topic("edge-x", Topics.Up.NODE), "hold".getBytes());
      await().atMost(WAIT).until(() -> held.heartbeatsWaiting() == 0);
      for (int i = 0; i < 10; i++) {
        held.heartbeat("edge-y", topic("edge-y", Topics.Up.NODE), ("y" + i).getBytes());
      }
      assertThat(held.heartbeatsWaiting()).isEqualTo(1);
      hold.countDown();
      await().atMost(WAIT).until(() -> handled.contains(topic("edge-y", Topics.Up.NODE) + " y9"));
      assertThat(handled).filteredOn(h -> h.startsWith(topic("edge-y", Topics.Up.NODE))).hasSize(1);
      assertThat(metrics.get("outpost_bridge_heartbeats_coalesced_total")).isEqualTo(9);
    } finally {
      hold.countDown();
      held.close();
    }
  }

  @Test
  void aDeltaHeartbeatCoalescedOverAFullOneKeepsTheFullOnesFacts() throws Exception {
    io.outpost.protocol.Codec codec = new io.outpost.protocol.Codec();
    CountDownLatch hold = new CountDownLatch(1);
    List<byte[]> payloads = new CopyOnWriteArrayList<>();
    UpstreamLanes held = new UpstreamLanes(FairShares.from(Map.of("OUTPOST_HEARTBEAT_THREADS", "1",
        "OUTPOST_HEARTBEAT_BURST", "20")), metrics, now::get, (topic, payload) -> {
          if (new String(payload).equals("hold")) {
            try {
              hold.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return;
          }
          payloads.add(payload);
        }, (waiting, newer) -> {
          try {
            return Upstream.coalesce(codec, waiting, newer);
          } catch (Upstream.Unmergeable e) {
            throw new AssertionError(e);
          }
        });
    try {
      held.heartbeat("edge-x", topic("edge-x", Topics.Up.NODE), "hold".getBytes());
      await().atMost(WAIT).until(() -> held.heartbeatsWaiting() == 0);
      io.outpost.protocol.NodeReport full = FakeEdge.nodeReport("edge-z");
      io.outpost.protocol.NodeReport delta = new io.outpost.protocol.NodeReport(full.v(), "edge-z",
          java.time.Instant.now().toString(), false, "later", null, null, null, null, null, null);
      held.heartbeat("edge-z", topic("edge-z", Topics.Up.NODE), codec.encode(full));
      held.heartbeat("edge-z", topic("edge-z", Topics.Up.NODE), codec.encode(delta));
      assertThat(held.heartbeatsWaiting()).isEqualTo(1);
      hold.countDown();
      await().atMost(WAIT).until(() -> payloads.size() == 1);
      io.outpost.protocol.NodeReport handled = codec.decode(payloads.get(0), io.outpost.protocol.NodeReport.class);
      assertThat(handled.ready()).as("the newer one's own fields").isFalse();
      assertThat(handled.message()).isEqualTo("later");
      assertThat(handled.capacity()).as("the waiting one's facts").isEqualTo(full.capacity());
      assertThat(handled.addresses()).isEqualTo(full.addresses());
      assertThat(handled.info()).isEqualTo(full.info());
      assertThat(metrics.get("outpost_bridge_heartbeats_coalesced_total")).isEqualTo(1);
    } finally {
      hold.countDown();
      held.close();
    }
  }

  @Test
  void heartbeatsBeyondTheNodesHeartbeatRateAreDroppedAndCounted() {
    lanes(Map.of("OUTPOST_HEARTBEATS_PER_SECOND", "1", "OUTPOST_HEARTBEAT_BURST", "2"));
    for (int i = 0; i < 5; i++) {
      lanes.heartbeat("edge-a", topic("edge-a", Topics.Up.NODE), ("a" + i).getBytes());
    }
    lanes.heartbeat("edge-b", topic("edge-b", Topics.Up.NODE), "b".getBytes());
    assertThat(dropped("edge-a", "node", "rate_limited")).isEqualTo(3);
    assertThat(dropped("edge-b", "node", "rate_limited")).isZero();
    await().atMost(WAIT).until(() -> handled.contains(topic("edge-b", Topics.Up.NODE) + " b"));
    now.addAndGet(TimeUnit.SECONDS.toNanos(1));
    lanes.heartbeat("edge-a", topic("edge-a", Topics.Up.NODE), "later".getBytes());
    await().atMost(WAIT).until(() -> handled.contains(topic("edge-a", Topics.Up.NODE) + " later"));
    assertThat(handled).noneMatch(h -> h.endsWith(" a2") || h.endsWith(" a3") || h.endsWith(" a4"));
  }

  @Test
  void resyncRequestsHaveTheirOwnPerNodeRate() {
    lanes(Map.of("OUTPOST_RESYNCS_PER_MINUTE", "6", "OUTPOST_RESYNC_BURST", "2"));
    assertThat(lanes.admitResync("edge-a")).isTrue();
    assertThat(lanes.admitResync("edge-a")).isTrue();
    assertThat(lanes.admitResync("edge-a")).isFalse();
    assertThat(lanes.admitResync("edge-b")).isTrue();
    assertThat(dropped("edge-a", "resync", "rate_limited")).isEqualTo(1);
    now.addAndGet(TimeUnit.SECONDS.toNanos(10)); // 6 a minute: one every 10 s
    assertThat(lanes.admitResync("edge-a")).isTrue();
    assertThat(lanes.admitResync("edge-a")).isFalse();
  }

  @Test
  void theBucketNeverHoldsMoreThanItsBurst() {
    AtomicLong clock = new AtomicLong();
    TokenBucket bucket = new TokenBucket(100, 3, clock::get);
    clock.addAndGet(TimeUnit.HOURS.toNanos(1));
    int taken = 0;
    while (bucket.tryAcquire()) {
      taken++;
    }
    assertThat(taken).isEqualTo(3);
    assertThat(bucket.nanosUntilToken()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(10));
  }
}
