package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.outpost.bridge.Bridge;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.join.JoinTokens;
import io.outpost.bridge.join.Onboarding;
import io.outpost.identity.CertificateAuthority;
import io.outpost.identity.Pki;
import io.outpost.testing.EdgeNode;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Podman;
import io.outpost.testing.Ports;
import io.outpost.testing.Project;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Onboarding over TLS end to end: the bridge with its CA and join endpoint, a real Mosquitto with the shipped TLS
 * listener settings and ACL, and the built distribution as an operator runs it — configured with an {@code ssl://}
 * broker and no identity, it joins from its Karaf console with a one-time token, connects, registers and runs a pod.
 */
class SecureJoinIT {
  private static final Duration PATIENCE = Duration.ofMinutes(3);
  private static final String NODE = "join-" + UUID.randomUUID().toString().substring(0, 8);
  private static Path dir;
  private static KubernetesMockServer kubernetes;
  private static KubernetesClient client;
  private static Mosquitto broker;
  private static Podman podman;
  private static Onboarding onboarding;
  private static Bridge bridge;
  private static EdgeNode edge;
  private static String joinUrl;
  private static final String UNATTENDED = "auto-" + UUID.randomUUID().toString().substring(0, 8);
  private static EdgeNode unattended;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("outpost-join-");
    kubernetes = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    kubernetes.init();
    client = kubernetes.createClient();
    int joinPort = Ports.free();
    Map<String, String> settings = Map.of("OUTPOST_CA_DIR", dir.resolve("ca").toString(),
        "OUTPOST_JOIN_PORT", Integer.toString(joinPort), "OUTPOST_JOIN_BIND", "127.0.0.1",
        "OUTPOST_JOIN_NAMES", "127.0.0.1,localhost");
    onboarding = Onboarding.from(settings, client);
    broker = Mosquitto.startTls(dir.resolve("broker"), brokerTls(onboarding.ca(), dir.resolve("tls")));
    podman = Podman.start(dir.resolve("podman"));
    bridge = new Bridge(BridgeConfig.forBroker(broker.url()), client, onboarding.mqttTls());
    bridge.start();
    onboarding.serve(bridge.metrics());
    await("bridge ready").atMost(PATIENCE).until(bridge::isReady);
    joinUrl = "https://127.0.0.1:" + onboarding.joinPort();
    edge = EdgeNode.install(dir.resolve("edge"), NODE, broker.url(), podman.host()).withConsoleUser().start();
  }

  private static Mosquitto.Tls brokerTls(CertificateAuthority ca, Path tls) throws Exception {
    Files.createDirectories(tls);
    KeyPair keys = Pki.newKeyPair();
    CertificateAuthority.writeSecret(tls.resolve("server.key"), Pki.pem(keys.getPrivate()));
    Files.writeString(tls.resolve("server.crt"), Pki.pem(ca.issueServer("outpost-broker", keys.getPublic(),
        List.of("127.0.0.1"), Duration.ofDays(1))));
    Files.writeString(tls.resolve("ca.crt"), Pki.pem(ca.certificate()));
    return new Mosquitto.Tls(tls.resolve("ca.crt"), tls.resolve("server.crt"), tls.resolve("server.key"),
        Project.root().resolve("deploy/mosquitto/outpost.acl"), null);
  }

  @AfterAll
  static void stop() throws Exception {
    try (Mosquitto m = broker; Podman p = podman) {
      if (edge != null) {
        edge.close();
      }
      if (unattended != null) {
        unattended.close();
      }
      Podman.removeContainersLabelled("io.outpost.node", UNATTENDED);
      if (bridge != null) {
        bridge.close();
      }
      if (onboarding != null) {
        onboarding.close();
      }
      Podman.removeContainersLabelled("io.outpost.node", NODE);
    } finally {
      client.close();
      kubernetes.destroy();
      Trees.deleteTree(dir);
    }
  }

  @Test
  void aNodeJoinsFromItsConsoleConnectsOverTlsAndRunsPodsAndTheTokenIsSpent() throws Exception {
    JoinTokens.Token token = onboarding.tokens().create(NODE, Duration.ofHours(1));
    String command = "outpost:join " + joinUrl + " " + token.value() + " " + onboarding.ca().fingerprint();
    // The console is up once Karaf is; before the join the node cannot connect (it has no identity).
    String joined = await("console").atMost(PATIENCE).ignoreExceptions().until(() -> edge.console(command),
        out -> out.contains("Joined"));
    assertThat(joined).contains(NODE);

    await("node Ready over TLS").atMost(PATIENCE).untilAsserted(() -> {
      Node registered = client.nodes().withName(NODE).get();
      assertThat(registered).isNotNull();
      assertThat(registered.getStatus()).isNotNull();
      assertThat(registered.getStatus().getConditions())
          .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));
    });
    client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("secure")
        .withNamespace("default").endMetadata().withNewSpec().withNodeName(NODE).addNewContainer().withName("app")
        .withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer().endSpec().build()).create();
    await("pod Running").atMost(PATIENCE).untilAsserted(() -> {
      Pod pod = client.pods().inNamespace("default").withName("secure").get();
      assertThat(pod.getStatus()).isNotNull();
      assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    });
    assertThat(Podman.appContainersOf(client.pods().inNamespace("default").withName("secure").get().getMetadata()
        .getUid())).hasSize(1);

    Path identity = edge.home().resolve("data/outpost/identity/node.pem");
    assertThat(Files.getPosixFilePermissions(identity)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE);
    assertThat(edge.console(command)).contains("Join failed").contains("used_token");
    assertThat(bridge.metrics().get("outpost_bridge_join_rejected_total", "reason", "used_token")).isEqualTo(1);
  }

  @Test
  void anUnattendedInstallJoinsFromItsConfigurationFileAtStart() throws Exception {
    JoinTokens.Token token = onboarding.tokens().create(UNATTENDED, Duration.ofHours(1));
    unattended = EdgeNode.install(dir.resolve("unattended"), UNATTENDED, broker.url(), podman.host());
    unattended.editConfig("io.outpost.node.cfg", "join.url", joinUrl);
    unattended.editConfig("io.outpost.node.cfg", "join.token", token.value());
    unattended.editConfig("io.outpost.node.cfg", "join.ca", onboarding.ca().fingerprint());
    unattended.start();

    await("unattended node Ready over TLS").atMost(PATIENCE).untilAsserted(() -> {
      Node registered = client.nodes().withName(UNATTENDED).get();
      assertThat(registered).isNotNull();
      assertThat(registered.getStatus()).isNotNull();
      assertThat(registered.getStatus().getConditions())
          .anySatisfy(c -> assertThat(c.getType() + "=" + c.getStatus()).isEqualTo("Ready=True"));
    });
    assertThat(onboarding.tokens().list()).filteredOn(t -> t.node().equals(UNATTENDED))
        .singleElement().satisfies(t -> assertThat(t.usedAt()).isNotNull());
    assertThat(Files.exists(unattended.home().resolve("data/outpost/identity/node.pem"))).isTrue();
  }
}
