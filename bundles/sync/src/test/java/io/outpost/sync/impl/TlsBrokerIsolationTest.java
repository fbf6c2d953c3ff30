package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.identity.CertificateAuthority;
import io.outpost.identity.NodeIdentity;
import io.outpost.identity.Pki;
import io.outpost.identity.Tls;
import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import io.outpost.store.impl.XodusEdgeStore;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Project;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Mosquitto with the shipped TLS settings and ACL ({@code deploy/mosquitto/outpost.acl}): nodes authenticate
 * with certificates from the bridge's CA, and each may only use its own topic subtree.
 */
class TlsBrokerIsolationTest {
  private static final int NOT_AUTHORIZED = 0x87;
  private final Codec codec = new Codec();
  @TempDir Path dir;
  private CertificateAuthority ca;
  private Mosquitto broker;
  private final List<MqttClient> clients = new java.util.ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"));
    Path tls = Files.createDirectories(dir.resolve("tls"));
    KeyPair server = Pki.newKeyPair();
    CertificateAuthority.writeSecret(tls.resolve("server.key"), Pki.pem(server.getPrivate()));
    Files.writeString(tls.resolve("server.crt"), Pki.pem(ca.issueServer("outpost-broker", server.getPublic(),
        List.of("127.0.0.1", "localhost"), Duration.ofDays(30))));
    Files.writeString(tls.resolve("ca.crt"), Pki.pem(ca.certificate()));
    Files.writeString(tls.resolve("crl.pem"), Pki.pem(ca.crl(Map.of(), Duration.ofDays(1))));
    broker = Mosquitto.startTls(dir.resolve("broker"), new Mosquitto.Tls(tls.resolve("ca.crt"),
        tls.resolve("server.crt"), tls.resolve("server.key"), Project.root().resolve("deploy/mosquitto/outpost.acl"),
        tls.resolve("crl.pem")));
  }

  @AfterEach
  void stop() throws Exception {
    for (MqttClient client : clients) {
      if (client.isConnected()) {
        client.disconnect();
      }
      client.close();
    }
    broker.close();
  }

  private NodeIdentity identity(String node) {
    KeyPair keys = Pki.newKeyPair();
    return new NodeIdentity(node, keys.getPrivate(), ca.signNode(Pki.csr(keys, node), node, Duration.ofDays(1)),
        ca.certificate());
  }

  private MqttClient connect(String id, SSLContext tls) throws MqttException {
    MqttClient client = new MqttClient(broker.url(), id, new MemoryPersistence());
    clients.add(client);
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setSocketFactory(tls.getSocketFactory());
    options.setConnectionTimeout(10);
    client.connect(options);
    return client;
  }

  @Test
  void aNodeMayUseOnlyItsOwnSubtreeAndSpoofedPublishesAreRefusedByTheBroker() throws Exception {
    MqttClient bridge = connect("outpost-bridge", bridgeTls());
    MqttClient a = connect("outpost-edge-edge-a", identity("edge-a").sslContext());
    MqttClient b = connect("outpost-edge-edge-b", identity("edge-b").sslContext());
    BlockingQueue<String> seenByA = new LinkedBlockingQueue<>();
    BlockingQueue<String> seenByB = new LinkedBlockingQueue<>();
    BlockingQueue<String> seenByBridge = new LinkedBlockingQueue<>();
    // Mosquitto 2.0 grants subscriptions and applies read access per message: a node subscribed to everything
    // still only receives its own downstream topic.
    a.subscribe(new MqttSubscription[] {new MqttSubscription("outpost/v1/#", 1)},
        new IMqttMessageListener[] {(t, m) -> seenByA.add(t + "=" + new String(m.getPayload()))});
    subscribe(b, Topics.down("edge-b"), seenByB);
    subscribe(bridge, "outpost/v1/+/up/#", seenByBridge);

    bridge.publish(Topics.down("edge-b"), new MqttMessage("for-b".getBytes()));
    bridge.publish(Topics.down("edge-a"), new MqttMessage("for-a".getBytes()));
    assertThat(seenByA.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(Topics.down("edge-a") + "=for-a");
    assertThat(seenByB.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(Topics.down("edge-b") + "=for-b");
    // Stream frames (kubectl exec input among them) reach only the node the bridge addressed.
    bridge.publish(Topics.stream("edge-b"), new MqttMessage("stream-for-b".getBytes()));
    bridge.publish(Topics.stream("edge-a"), new MqttMessage("stream-for-a".getBytes()));
    assertThat(seenByA.poll(10, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(Topics.stream("edge-a") + "=stream-for-a");
    // Artifact chunks of a gateway rollout likewise: a node cannot read another node's artifact.
    bridge.publish(Topics.artifact("edge-b"), new MqttMessage("chunk-for-b".getBytes()));
    bridge.publish(Topics.artifact("edge-a"), new MqttMessage("chunk-for-a".getBytes()));
    assertThat(seenByA.poll(10, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(Topics.artifact("edge-a") + "=chunk-for-a");
    assertThat(seenByA).as("edge-b's messages never reached edge-a").isEmpty();

    IMqttToken spoofed = a.getTopic(Topics.up("edge-b", Topics.Up.STATUS)).publish(
        new MqttMessage("spoofed".getBytes()));
    spoofed.waitForCompletion(10_000);
    assertThat(spoofed.getReasonCodes()).containsOnly(NOT_AUTHORIZED);
    IMqttToken own = a.getTopic(Topics.up("edge-a", Topics.Up.STATUS)).publish(new MqttMessage("own".getBytes()));
    own.waitForCompletion(10_000);
    assertThat(own.getReasonCodes()).containsOnly(0);
    assertThat(seenByBridge.poll(10, java.util.concurrent.TimeUnit.SECONDS))
        .isEqualTo(Topics.up("edge-a", Topics.Up.STATUS) + "=own");
    assertThat(seenByBridge).as("the spoofed status never reached the bridge").isEmpty();
    IMqttToken ownDown = a.getTopic(Topics.down("edge-a")).publish(new MqttMessage("x".getBytes()));
    ownDown.waitForCompletion(10_000);
    assertThat(ownDown.getReasonCodes()).as("a node cannot write its own downstream topic either")
        .containsOnly(NOT_AUTHORIZED);
  }

  private SSLContext bridgeTls() {
    KeyPair keys = Pki.newKeyPair();
    return Tls.context(keys.getPrivate(), List.of(ca.issueClient("outpost-bridge", keys.getPublic(),
        Duration.ofDays(1)), ca.certificate()), ca.certificate());
  }

  private static void subscribe(MqttClient client, String topic, BlockingQueue<String> into) throws MqttException {
    client.subscribe(new MqttSubscription[] {new MqttSubscription(topic, 1)},
        new IMqttMessageListener[] {(t, m) -> into.add(t + "=" + new String(m.getPayload()))});
  }

  @Test
  void withoutAClientCertificateFromTheCaThereIsNoConnection() throws Exception {
    CertificateAuthority other = CertificateAuthority.loadOrCreate(dir.resolve("other-ca"));
    KeyPair keys = Pki.newKeyPair();
    SSLContext foreign = Tls.context(keys.getPrivate(), List.of(other.signNode(Pki.csr(keys, "edge-a"), "edge-a",
        Duration.ofDays(1)), other.certificate()), ca.certificate());

    assertThatThrownBy(() -> connect("foreign", foreign)).isInstanceOf(MqttException.class);
    assertThatThrownBy(() -> connect("anonymous", Tls.trustingOnly(ca.certificate())))
        .isInstanceOf(MqttException.class);
  }

  @Test
  void aRevokedNodeCannotReconnectOnceTheBrokerHasTheCrl() throws Exception {
    NodeIdentity revoked = identity("edge-a");
    connect("outpost-edge-edge-a", revoked.sslContext()).disconnect();

    BigInteger serial = revoked.certificate().getSerialNumber();
    Files.writeString(dir.resolve("tls/crl.pem"), Pki.pem(ca.crl(Map.of(serial, Instant.now()), Duration.ofDays(1))));
    broker.restart(false);

    assertThatThrownBy(() -> connect("outpost-edge-edge-a-2", revoked.sslContext()))
        .isInstanceOf(MqttException.class);
    connect("outpost-edge-edge-b", identity("edge-b").sslContext()); // others are unaffected
  }

  @Test
  void anEdgeNodeWithItsIdentityConnectsOverTlsAndResyncs() throws Exception {
    NodeIdentity identity = identity("edge-a");
    Path identityDir = dir.resolve("identity");
    identity.save(identityDir);
    MqttClient bridge = connect("outpost-bridge", bridgeTls());
    BlockingQueue<ResyncRequest> resyncs = new LinkedBlockingQueue<>();
    bridge.subscribe(new MqttSubscription[] {new MqttSubscription(Topics.up("edge-a", Topics.Up.RESYNC), 1)},
        new IMqttMessageListener[] {(t, m) -> resyncs.add(codec.decode(m.getPayload(), ResyncRequest.class))});
    bridge.publish(Topics.BRIDGE_ONLINE, codec.encode(new BridgeOnline(1, 1, "s", "now")), 1, true);

    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (XodusEdgeStore store = new XodusEdgeStore(dir.resolve("store"))) {
      Settings settings = new Settings("edge-a", broker.url(), "outpost-edge-edge-a", Duration.ofSeconds(1),
          Duration.ofSeconds(2), 3600, Codec.DEFAULT_MAX_BYTES, 110, identityDir, "", "", "");
      EdgeSync sync = new EdgeSync(settings, TestStores.sync(store), executor, "test");
      sync.start();
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> sync.state().connected());
        await().atMost(Duration.ofSeconds(30)).until(() -> !resyncs.isEmpty());
        assertThat(resyncs.peek().node()).isEqualTo("edge-a");
      } finally {
        sync.close();
      }
    } finally {
      executor.shutdownNow();
    }
  }
}
