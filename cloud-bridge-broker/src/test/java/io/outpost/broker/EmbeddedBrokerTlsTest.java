package io.outpost.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.identity.CertificateAuthority;
import io.outpost.identity.Pki;
import io.outpost.identity.Tls;
import io.outpost.protocol.Topics;
import io.outpost.testing.Ports;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded broker with TLS: client certificates from the bridge's CA only, each node confined to its own topics
 * by {@link NodeSecurity}, revoked nodes refused, and every publish stamped with its authenticated sender.
 */
class EmbeddedBrokerTlsTest {
  private static final int NOT_AUTHORIZED = 0x87;
  private Path dir;
  private CertificateAuthority ca;
  private EmbeddedBroker broker;
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private final java.util.function.Predicate<java.security.cert.X509Certificate> isRevoked =
      certificate -> revoked.contains(Pki.commonName(certificate));
  private final List<MqttClient> clients = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("outpost-embedded-tls");
    ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"));
    KeyPair keys = Pki.newKeyPair();
    EmbeddedBroker.Tls tls = new EmbeddedBroker.Tls(keys.getPrivate(), List.of(ca.issueServer("outpost-broker",
        keys.getPublic(), List.of("127.0.0.1"), Duration.ofDays(1)), ca.certificate()), ca.certificate(),
        isRevoked);
    broker = EmbeddedBroker.start(EmbeddedBroker.Settings.local(Ports.free(), dir.resolve("broker")), tls);
  }

  @AfterEach
  void stop() {
    for (MqttClient client : clients) {
      try {
        if (client.isConnected()) {
          client.disconnect();
        }
        client.close();
      } catch (MqttException e) {
        // gone either way
      }
    }
    broker.close();
    Trees.deleteTree(dir);
  }

  private SSLContext identity(CertificateAuthority issuer, String name) {
    KeyPair keys = Pki.newKeyPair();
    var certificate = NodeSecurity.BRIDGE.equals(name)
        ? issuer.issueClient(name, keys.getPublic(), Duration.ofDays(1))
        : issuer.signNode(Pki.csr(keys, name), name, Duration.ofDays(1));
    return Tls.context(keys.getPrivate(), List.of(certificate, issuer.certificate()), ca.certificate());
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

  private static int subscribe(MqttClient client, String topic, BlockingQueue<MqttMessage> into)
      throws MqttException {
    IMqttToken token = client.subscribe(new MqttSubscription[] {new MqttSubscription(topic, 1)},
        new IMqttMessageListener[] {(t, m) -> into.add(m)});
    return token.getReasonCodes()[0];
  }

  @Test
  void nodesAreConfinedToTheirTopicsAndEveryPublishCarriesItsAuthenticatedSender() throws Exception {
    assertThat(broker.url()).startsWith("ssl://");
    MqttClient bridge = connect("outpost-bridge", identity(ca, NodeSecurity.BRIDGE));
    MqttClient a = connect("outpost-edge-edge-a", identity(ca, "edge-a"));
    BlockingQueue<MqttMessage> atBridge = new LinkedBlockingQueue<>();
    BlockingQueue<MqttMessage> atA = new LinkedBlockingQueue<>();
    assertThat(subscribe(bridge, "outpost/v1/+/up/#", atBridge)).isEqualTo(1);
    assertThat(subscribe(a, Topics.down("edge-a"), atA)).isEqualTo(1);
    assertThat(subscribe(a, Topics.down("edge-b"), atA)).isEqualTo(NOT_AUTHORIZED);
    assertThat(subscribe(a, "outpost/v1/#", atA)).isEqualTo(NOT_AUTHORIZED);

    MqttMessage forged = new MqttMessage("status".getBytes());
    MqttProperties properties = new MqttProperties();
    properties.setUserProperties(List.of(new UserProperty(NodeSecurity.SENDER, "edge-b")));
    forged.setProperties(properties);
    a.publish(Topics.up("edge-a", Topics.Up.STATUS), forged);
    MqttMessage received = atBridge.poll(10, TimeUnit.SECONDS);
    assertThat(received).isNotNull();
    assertThat(received.getProperties().getUserProperties()).extracting(UserProperty::getKey,
        UserProperty::getValue).containsExactly(org.assertj.core.groups.Tuple.tuple(NodeSecurity.SENDER, "edge-a"));

    bridge.publish(Topics.down("edge-a"), new MqttMessage("down".getBytes()));
    assertThat(atA.poll(10, TimeUnit.SECONDS)).as("edge-a receives its own downstream").isNotNull();

    IMqttToken spoofed = a.getTopic(Topics.up("edge-b", Topics.Up.STATUS)).publish(new MqttMessage("x".getBytes()));
    spoofed.waitForCompletion(10_000);
    assertThat(spoofed.getReasonCodes()).containsOnly(NOT_AUTHORIZED);
    // A marker from another node shows the bridge's queue is flowing: the spoofed publish is not just late.
    MqttClient b = connect("outpost-edge-edge-b", identity(ca, "edge-b"));
    b.publish(Topics.up("edge-b", Topics.Up.STATUS), new MqttMessage("marker".getBytes()));
    MqttMessage next = atBridge.poll(10, TimeUnit.SECONDS);
    assertThat(next).isNotNull();
    assertThat(new String(next.getPayload())).as("the spoofed publish never reached the bridge").isEqualTo("marker");
  }

  @Test
  void aNodeCannotUseAnotherClientsIdToTakeOverItsSession() throws Exception {
    assertThatThrownBy(() -> connect("outpost-bridge", identity(ca, "edge-a"))).isInstanceOf(MqttException.class);
    assertThatThrownBy(() -> connect("outpost-edge-edge-b", identity(ca, "edge-a")))
        .isInstanceOf(MqttException.class);
    assertThatThrownBy(() -> connect("outpost-edge-edge-a", identity(ca, NodeSecurity.BRIDGE)))
        .as("nor the bridge a node's").isInstanceOf(MqttException.class);
    connect("outpost-edge-edge-a", identity(ca, "edge-a"));
  }

  @Test
  void withoutACertificateFromTheCaOrWhenRevokedThereIsNoConnection() throws Exception {
    CertificateAuthority other = CertificateAuthority.loadOrCreate(dir.resolve("other-ca"));
    assertThatThrownBy(() -> connect("foreign", identity(other, "edge-a"))).isInstanceOf(MqttException.class);
    assertThatThrownBy(() -> connect("anonymous", Tls.trustingOnly(ca.certificate())))
        .isInstanceOf(MqttException.class);

    MqttClient c = connect("outpost-edge-edge-c", identity(ca, "edge-c"));
    revoked.add("edge-c");
    broker.closeRevoked(); // as the broker's periodic check does
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !c.isConnected());
    assertThatThrownBy(() -> connect("outpost-edge-edge-c", identity(ca, "edge-c")))
        .isInstanceOf(MqttException.class);
    connect("outpost-edge-edge-d", identity(ca, "edge-d")); // others are unaffected
  }
}
