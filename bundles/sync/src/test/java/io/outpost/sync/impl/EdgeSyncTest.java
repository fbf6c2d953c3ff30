package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.XodusEdgeStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sync loop against a real Mosquitto and a real Xodus store, with the test playing the bridge. */
class EdgeSyncTest {
  private static final String NODE = "edge-sync-test";
  private static final long EPOCH = 1_700_000_000_000L;
  private final Codec codec = new Codec();
  @TempDir Path dir;
  private SyncHarness h;
  private XodusEdgeStore store;
  private MqttClient bridge;
  private final BlockingQueue<ResyncRequest> resyncs = new LinkedBlockingQueue<>();
  private final BlockingQueue<PodStatusReport> statuses = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    // As a running bridge leaves it: its retained announcement, which the node waits for before it resyncs.
    h = SyncHarness.start(dir, codec, EPOCH,
        SyncHarness.on(Topics.up(NODE, Topics.Up.RESYNC),
            (t, m) -> resyncs.add(codec.decode(m.getPayload(), ResyncRequest.class))),
        SyncHarness.on(Topics.up(NODE, Topics.Up.STATUS),
            (t, m) -> statuses.add(codec.decode(m.getPayload(), PodStatusReport.class))));
    store = h.store;
    bridge = h.bridge;
    h.run(() -> new EdgeSync(new Settings(NODE, h.broker.url(), "edge-test-client", Duration.ofSeconds(1),
        Duration.ofSeconds(2), 3600, Codec.DEFAULT_MAX_BYTES, 110).allowingPlaintext(), // the test's own broker
        TestStores.sync(store), h.executor, "test"));
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

  private void send(Downstream message) throws Exception {
    bridge.publish(Topics.down(NODE), codec.encode(message), 1, false);
  }

  private void sendRaw(String payload) throws Exception {
    bridge.publish(Topics.down(NODE), payload.getBytes(StandardCharsets.UTF_8), 1, false);
  }

  private static Downstream pod(long seq, String name, String node) {
    PodV1 pod = new PodV1(node, "Always", null, null, null,
        List.of(new PodV1.ContainerV1("app", "img", null, null, null, null, null)));
    return Downstream.upsertPod(EPOCH, seq, new ObjectRef("Pod", "default", name, "uid-" + name, "1"), pod);
  }

  @Test
  void theHeartbeatOnTheWireCarriesItsFactsOnlyWhenABridgeNeedsThemWithEphemeralStorageAllocatableAndPressure() throws Exception {
    BlockingQueue<io.outpost.protocol.NodeReport> heartbeats = new LinkedBlockingQueue<>();
    bridge.subscribe(new MqttSubscription[] {new MqttSubscription(Topics.up(NODE, Topics.Up.NODE), 1)},
        new IMqttMessageListener[] {(t, m) -> heartbeats.add(codec.decode(m.getPayload(),
            io.outpost.protocol.NodeReport.class))});
    // Once its facts are delivered, the node's heartbeats leave them out (protocol §5.5)...
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      io.outpost.protocol.NodeReport next = heartbeats.poll(30, TimeUnit.SECONDS);
      return next != null && next.omitsFacts() && next.ready();
    });
    // ...and a bridge that restarted (a new session) gets them all with the next one.
    bridge.publish(Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, EPOCH + 1, "session-2", "now")), 1, true);
    io.outpost.protocol.NodeReport heartbeat = await().atMost(Duration.ofSeconds(30))
        .until(() -> heartbeats.poll(30, TimeUnit.SECONDS), r -> r != null && !r.omitsFacts());
    assertThat(heartbeat.info()).isNotNull();
    assertThat(heartbeat.addresses()).isNotEmpty();
    assertThat(heartbeat.capacity()).containsKeys("cpu", "memory", "pods", "ephemeral-storage");
    assertThat(heartbeat.allocatable()).containsOnlyKeys(heartbeat.capacity().keySet());
    assertThat(heartbeat.conditions()).extracting(io.outpost.protocol.NodeReport.Condition::type)
        .containsExactly("MemoryPressure", "DiskPressure", "PIDPressure");
  }

  @Test
  void resyncsOnConnectAppliesInOrderAndRejectsBadInput() throws Exception {
    ResyncRequest first = resyncs.poll(30, TimeUnit.SECONDS);
    assertThat(first).isNotNull();
    assertThat(first.reason()).isEqualTo("connect");
    assertThat(first.compact()).isTrue();
    assertThat(first.count()).isZero();
    assertThat(first.digest()).isEqualTo(ResyncRequest.digestOf(List.of()));

    send(Downstream.marker(EPOCH, 5, Downstream.Op.SYNC_BEGIN, first.correlationId()));
    send(pod(6, "web", NODE));
    send(Downstream.marker(EPOCH, 7, Downstream.Op.SYNC_END, first.correlationId()));
    await().atMost(Duration.ofSeconds(20)).until(() -> sync().state().lastResyncAt() != null);
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH, 7));
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactly("web");
    assertThat(sync().state().lastResyncObjects()).isEqualTo(1);

    sendRaw("{not json");
    sendRaw("{\"v\":2}");
    send(pod(8, "stolen", "other-node"));
    send(pod(7, "duplicate", NODE));
    send(Downstream.marker(EPOCH, 1, Downstream.Op.SYNC_BEGIN, "not-requested"));
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(sync().state().rejected()).containsEntry("malformed", 1L).containsEntry("unsupported_version", 1L)
          .containsEntry("wrong_node", 1L);
      assertThat(sync().state().outcomes()).containsEntry("duplicate", 1L).containsEntry("unsolicited_sync", 1L);
    });
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactly("web");
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH, 7));

    send(pod(10, "after-gap", NODE));
    ResyncRequest gap = resyncs.poll(30, TimeUnit.SECONDS);
    assertThat(gap).isNotNull();
    assertThat(gap.reason()).isEqualTo("gap");
    assertThat(gap.lastSeq()).isEqualTo(7);
    assertThat(gap.compact()).isTrue();
    assertThat(gap.digest()).isEqualTo(ResyncRequest.digestOf(store.held()));

    // The bridge expects something else: it asks for the full form, which names every object held.
    send(Downstream.marker(EPOCH, 7, Downstream.Op.DIGEST_MISMATCH, gap.correlationId()));
    ResyncRequest full = resyncs.poll(30, TimeUnit.SECONDS);
    assertThat(full).isNotNull();
    assertThat(full.compact()).isFalse();
    assertThat(full.reason()).isEqualTo("digest_mismatch");
    assertThat(full.held()).extracting(ObjectRef::name).containsExactly("web");
    assertThat(store.position()).as("a control message is not applied").isEqualTo(new SyncPosition(EPOCH, 7));
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactly("web");
  }

  private static Downstream tokens(long seq, String refUid, String podUid, String token) {
    return Downstream.upsertServiceAccountTokens(EPOCH, seq, new ObjectRef("ServiceAccountToken", "default", "web",
        refUid, "t" + seq), new io.outpost.protocol.ServiceAccountTokensV1(podUid, List.of(
            new io.outpost.protocol.ServiceAccountTokensV1.TokenV1("kube-api-access-1", "token", token,
                1_900_000_000L))));
  }

  @Test
  void aPodsTokensAreStoredAndMalformedOversizedOrSpoofedTokenMessagesAreRejectedAndCounted() throws Exception {
    String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3ZWIifQ.c2ln";
    ResyncRequest first = resyncs.poll(30, TimeUnit.SECONDS);
    assertThat(first).isNotNull();
    send(Downstream.marker(EPOCH, 5, Downstream.Op.SYNC_BEGIN, first.correlationId()));
    send(pod(6, "web", NODE));
    send(tokens(7, "uid-web", "uid-web", jwt));
    send(Downstream.marker(EPOCH, 8, Downstream.Op.SYNC_END, first.correlationId()));
    await().atMost(Duration.ofSeconds(20)).until(() -> sync().state().lastResyncAt() != null);
    assertThat(store.serviceAccountTokens("default", "web")).get().satisfies(t ->
        assertThat(t.token("kube-api-access-1", "token").token()).isEqualTo(jwt));

    send(tokens(9, "uid-web", "uid-of-another-pod", jwt + "x")); // a body for another pod under web's ref
    send(tokens(9, "uid-web", "uid-web", "a".repeat(100))); // a refresh: applied
    // A token past 16,384 characters, and a token without its expiry:
    sendRaw(new String(codec.encode(tokens(10, "uid-web", "uid-web", "b")), StandardCharsets.UTF_8)
        .replace("\"b\"", "\"" + "b".repeat(16_385) + "\""));
    sendRaw(new String(codec.encode(tokens(10, "uid-web", "uid-web", "c")), StandardCharsets.UTF_8)
        .replace(",\"expiresAt\":1900000000", ""));
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(sync().state().rejected())
        .containsEntry("invalid", 2L).containsEntry("malformed", 1L));
    assertThat(store.serviceAccountTokens("default", "web")).get().satisfies(t ->
        assertThat(t.token("kube-api-access-1", "token").token()).isEqualTo("a".repeat(100)));
  }

  @Test
  void deliversTheOutboxAndEmptiesIt() throws Exception {
    assertThat(resyncs.poll(30, TimeUnit.SECONDS)).isNotNull();
    PodStatusReport report = new PodStatusReport(1, NODE, new ObjectRef("Pod", "default", "web", "u1", "1"),
        "Running", null, null, "10.88.0.2", null, null, List.of(), false);
    store.podStatuses().record(report);
    sync().outboxChanged(); // drained: the bridge's announcement came with the subscription
    PodStatusReport received = statuses.poll(30, TimeUnit.SECONDS);
    assertThat(received).isEqualTo(report);
    await().atMost(Duration.ofSeconds(20)).until(() -> store.podStatuses().depth() == 0);

    // A new bridge session may have lost what the old one was sent: the newest status is offered again.
    bridge.publish(Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, EPOCH + 1, "session-2", "now")), 1, true);
    assertThat(statuses.poll(30, TimeUnit.SECONDS)).isEqualTo(report);
    await().atMost(Duration.ofSeconds(20)).until(() -> store.podStatuses().depth() == 0);
  }

  @Test
  void aLargeOutboxStaysWithinTheBrokersInFlightBudget() throws Exception {
    assertThat(resyncs.poll(30, TimeUnit.SECONDS)).isNotNull();
    int pods = 300; // several times Mosquitto's Receive Maximum (max_inflight_messages, 20 by default)
    for (int i = 0; i < pods; i++) {
      store.podStatuses().record(new PodStatusReport(1, NODE, new ObjectRef("Pod", "default", "web-" + i, "u" + i, "1"),
          "Running", null, null, "10.88.0.2", null, null, List.of(), false));
    }
    sync().outboxChanged();
    await().atMost(Duration.ofSeconds(60)).until(() -> store.podStatuses().depth() == 0);
    assertThat(statuses.stream().map(r -> r.ref().name()).distinct().count()).isEqualTo(pods);
    assertThat(sync().refusedPublishes()).as("publishes beyond the broker's Receive Maximum are refused by the"
        + " client; the outbox must leave room for them and for stream frames").isZero();
  }

  @Test
  void aStatusTooLargeToSendIsDroppedAndTheOutboxGoesOn() throws Exception {
    assertThat(resyncs.poll(30, TimeUnit.SECONDS)).isNotNull();
    // The store keeps what its own limit allows; the node was configured to send less (max.message.bytes).
    h.run(() -> new EdgeSync(new Settings(NODE, h.broker.url(), "edge-test-client", Duration.ofSeconds(1),
        Duration.ofSeconds(2), 3600, 4096, 110).allowingPlaintext(), TestStores.sync(store), h.executor, "test"));
    assertThat(resyncs.poll(30, TimeUnit.SECONDS)).isNotNull();
    store.podStatuses().record(new PodStatusReport(1, NODE, new ObjectRef("Pod", "default", "huge", "u-huge", "1"),
        "Failed", "Error", "x".repeat(8192), null, null, null, List.of(), false));
    PodStatusReport fine = new PodStatusReport(1, NODE, new ObjectRef("Pod", "default", "fine", "u-fine", "1"),
        "Running", null, null, "10.88.0.3", null, null, List.of(), false);
    store.podStatuses().record(fine);
    sync().outboxChanged();
    assertThat(statuses.poll(30, TimeUnit.SECONDS)).isEqualTo(fine);
    await().atMost(Duration.ofSeconds(20)).until(() -> store.podStatuses().depth() == 0);
    assertThat(sync().state().rejected()).containsEntry("oversized", 1L);
  }

  @Test
  void aNewBridgeSessionMakesTheNodeResyncAtOnce() throws Exception {
    assertThat(resyncs.poll(30, TimeUnit.SECONDS)).isNotNull(); // the connect resync
    bridge.publish(Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, EPOCH, "session-0", "now")), 1, true);
    bridge.publish(Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, EPOCH + 1, "session-2", "now")), 1, true);
    ResyncRequest request = resyncs.poll(30, TimeUnit.SECONDS);
    assertThat(request).isNotNull();
    assertThat(request.reason()).isEqualTo("bridge_online");
    assertThat(resyncs.poll(2, TimeUnit.SECONDS)).as("a known session causes no resync").isNull();
  }
}
