package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.testing.KubeletPki;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the bridge listens and what it publishes: each server binds the interface its setting names (and a port in
 * use stops the start with address, port and keys); every edge Node leads the API server to the kubelet address
 * and port the operator configured (a Service's or load balancer's), not necessarily where the bridge listens.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeListenersTest {
  static KubernetesClient client;

  @TempDir Path dir;

  @Test
  void eachServerListensOnlyOnTheConfiguredInterface() throws Exception {
    KubeletPki pki = new KubeletPki(dir.resolve("pki"));
    Map<String, String> settings = new HashMap<>(pki.bridgeEnvironment());
    settings.put("OUTPOST_HTTP_BIND", "127.0.0.1");
    settings.put("OUTPOST_KUBELET_BIND", "127.0.0.1");
    try (BridgeHarness h = BridgeHarness.start(dir, client, settings)) {
      assertThat(connects("127.0.0.1", h.bridge.httpPort())).isTrue();
      assertThat(connects("127.0.0.1", h.bridge.kubeletPort())).isTrue();
      // Another address of this host (all of 127/8 is the loopback interface on Linux): nothing listens there.
      assertThat(connects("127.0.0.2", h.bridge.httpPort())).as("health/metrics on 127.0.0.2").isFalse();
      assertThat(connects("127.0.0.2", h.bridge.kubeletPort())).as("kubelet API on 127.0.0.2").isFalse();
    }
  }

  @Test
  void byDefaultTheServersListenOnEveryInterface() throws Exception {
    try (BridgeHarness h = BridgeHarness.start(dir, client)) {
      assertThat(connects("127.0.0.1", h.bridge.httpPort())).isTrue();
      assertThat(connects("127.0.0.2", h.bridge.httpPort())).isTrue();
    }
  }

  @Test
  void aPortInUseStopsTheStartNamingTheAddressAndTheSettings() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Map<String, String> settings = Map.of("OUTPOST_BROKER_URL", "tcp://127.0.0.1:1883", "OUTPOST_HTTP_PORT",
          Integer.toString(taken.getLocalPort()), "OUTPOST_BIND_ADDRESS", "127.0.0.1",
          "OUTPOST_INSECURE_PLAINTEXT", "true");
      try (Bridge bridge = new Bridge(BridgeConfig.from(settings), client)) {
        assertThatThrownBy(bridge::start).isInstanceOf(BindException.class)
            .hasMessageContaining("127.0.0.1:" + taken.getLocalPort())
            .hasMessageContaining("OUTPOST_HTTP_PORT").hasMessageContaining("OUTPOST_BIND_ADDRESS");
      }
    }
  }

  @Test
  void edgeNodesPublishTheConfiguredKubeletNameAndPort() throws Exception {
    KubeletPki pki = new KubeletPki(dir.resolve("pki"));
    Map<String, String> settings = new HashMap<>(pki.bridgeEnvironment());
    // A load balancer in front of the bridge: its DNS name and port, not the bridge's own listening port.
    settings.put("OUTPOST_KUBELET_ADDRESS", "kubelet.outpost.example.net");
    settings.put("OUTPOST_KUBELET_PUBLISHED_PORT", "443");
    try (BridgeHarness h = BridgeHarness.start(dir, client, settings)) {
      Node node = registered(h, "edge-lb");
      assertThat(node.getStatus().getAddresses()).extracting(a -> a.getType() + "=" + a.getAddress())
          .containsExactly("InternalDNS=kubelet.outpost.example.net", "ExternalIP=192.0.2.17");
      assertThat(node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort()).isEqualTo(443);
      assertThat(h.bridge.kubeletPort()).isNotEqualTo(443);
    }
  }

  @Test
  void aRoutableIpIsPublishedAsInternalIpWithTheListeningPortByDefault() throws Exception {
    KubeletPki pki = new KubeletPki(dir.resolve("pki"));
    Map<String, String> settings = new HashMap<>(pki.bridgeEnvironment());
    settings.put("OUTPOST_KUBELET_ADDRESS", "203.0.113.40");
    try (BridgeHarness h = BridgeHarness.start(dir, client, settings)) {
      Node node = registered(h, "edge-ip");
      assertThat(node.getStatus().getAddresses()).extracting(a -> a.getType() + "=" + a.getAddress())
          .containsExactly("InternalIP=203.0.113.40", "ExternalIP=192.0.2.17");
      assertThat(node.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort())
          .isEqualTo(h.bridge.kubeletPort());
    }
  }

  private static Node registered(BridgeHarness h, String name) throws Exception {
    h.edge(name).heartbeat();
    return await("node " + name + " with its addresses").atMost(FakeEdge.TIMEOUT)
        .until(() -> client.nodes().withName(name).get(), n -> n != null && n.getStatus() != null
            && n.getStatus().getAddresses() != null && !n.getStatus().getAddresses().isEmpty()
            && n.getStatus().getDaemonEndpoints() != null);
  }

  private static boolean connects(String host, int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), 5_000);
      return true;
    } catch (ConnectException e) {
      return false;
    }
  }
}
