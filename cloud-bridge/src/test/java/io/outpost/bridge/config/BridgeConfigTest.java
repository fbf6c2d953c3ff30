package io.outpost.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.bridge.net.BindAddress;
import io.outpost.bridge.net.Cidr;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BridgeConfigTest {
  private static final String BROKER = "ssl://broker.example:8883";

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("OUTPOST_BROKER_URL", BROKER);
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  void defaults() {
    BridgeConfig config = BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", BROKER));
    assertThat(config).isEqualTo(new BridgeConfig(BROKER, "outpost-bridge", 8080, "outpost.io/edge", "true",
        262_144, 40, Duration.ofSeconds(60), Duration.ofSeconds(10), 200, 2, 8443, null, null, null,
        config.leaderIdentity(), Duration.ofSeconds(15), false, true, KubeletConfig.OFF,
        new BindAddress(null, "OUTPOST_HTTP_BIND"), new BindAddress(null, "OUTPOST_WEBHOOK_BIND"), PodNetworks.NONE,
        FairShares.DEFAULTS, true, true, SiteSettings.DEFAULTS, null,
        new RolloutSettings(true, Duration.ofSeconds(40))));
    assertThat(config.leaderElection()).isFalse();
    assertThat(config.leaderIdentity()).as("unique per process").isNotEqualTo(
        BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", BROKER)).leaderIdentity());
  }

  @Test
  void forBrokerUsesAnEphemeralHttpPortAndDefaultsOtherwise() {
    BridgeConfig config = BridgeConfig.forPlaintextBroker("tcp://127.0.0.1:1883");
    assertThat(config.brokerUrl()).isEqualTo("tcp://127.0.0.1:1883");
    assertThat(config.plaintext()).isTrue();
    assertThat(BridgeConfig.forBroker("ssl://127.0.0.1:8883").httpPort()).isZero();
    assertThat(config.httpPort()).isZero();
    assertThat(config.maxMessageBytes()).isEqualTo(262_144);
    assertThat(config.edgeLabelKey() + "=" + config.edgeLabelValue()).isEqualTo("outpost.io/edge=true");
  }

  @ParameterizedTest
  @CsvSource({"tcp://broker.example:1883", "ws://broker.example:8080"})
  void aPlainBrokerIsRefusedUnlessInsecurePlaintextIsTrue(String url) {
    for (Map<String, String> env : java.util.List.of(env("OUTPOST_BROKER_URL", url),
        env("OUTPOST_BROKER_URL", url, "OUTPOST_INSECURE_PLAINTEXT", "false"))) {
      assertThatThrownBy(() -> BridgeConfig.from(env)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("OUTPOST_BROKER_URL '" + url + "' is plain MQTT").hasMessageContaining("register Nodes")
          .hasMessageContaining("ssl://").hasMessageContaining("OUTPOST_INSECURE_PLAINTEXT=true");
    }
    assertThatThrownBy(() -> BridgeConfig.forBroker(url)).hasMessageContaining("OUTPOST_INSECURE_PLAINTEXT");
    assertThatThrownBy(() -> BridgeConfig.from(env("OUTPOST_BROKER_URL", url, "OUTPOST_INSECURE_PLAINTEXT", "yes")))
        .hasMessageContaining("OUTPOST_INSECURE_PLAINTEXT must be true or false");
    BridgeConfig allowed = BridgeConfig.from(env("OUTPOST_BROKER_URL", url, "OUTPOST_INSECURE_PLAINTEXT", " true "));
    assertThat(allowed.brokerUrl()).isEqualTo(url);
    assertThat(allowed.plaintext()).isTrue();
  }

  @ParameterizedTest
  @CsvSource({"ssl://broker.example:8883", "wss://broker.example:443"})
  void aTlsBrokerNeedsNoSetting(String url) {
    assertThat(BridgeConfig.from(env("OUTPOST_BROKER_URL", url)).plaintext()).isFalse();
  }

  @Test
  void webhookCertificateAndKeyGoTogetherAndLeasesRenewWithinTheirDuration() {
    assertThatThrownBy(() -> BridgeConfig.from(env("OUTPOST_BROKER_URL", BROKER, "OUTPOST_WEBHOOK_CERT_FILE", "/x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OUTPOST_WEBHOOK_KEY_FILE");
    assertThatThrownBy(() -> BridgeConfig.from(env("OUTPOST_BROKER_URL", BROKER, "OUTPOST_LEASE_DURATION_SECONDS",
        "40", "OUTPOST_LEASE_RENEW_SECONDS", "30"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("OUTPOST_LEASE_RENEW_SECONDS");
  }

  @Test
  void everyKeyIsRead() {
    BridgeConfig config = BridgeConfig.from(env(
        "OUTPOST_BROKER_URL", " ssl://mqtt.example.com:8883 ",
        "OUTPOST_MQTT_CLIENT_ID", "bridge-2",
        "OUTPOST_HTTP_PORT", " 9090 ",
        "OUTPOST_EDGE_LABEL", "example.com/site=store",
        "OUTPOST_MAX_MESSAGE_BYTES", "1024",
        "OUTPOST_LEASE_DURATION_SECONDS", "3600",
        "OUTPOST_NODE_STATUS_REFRESH_SECONDS", "1",
        "OUTPOST_LEASE_RENEW_SECONDS", "600",
        "OUTPOST_KUBE_WRITES_PER_SECOND", "50",
        "OUTPOST_ROUTER_THREADS", "4",
        "OUTPOST_WEBHOOK_PORT", "9443",
        "OUTPOST_WEBHOOK_CERT_FILE", "/etc/outpost/tls.crt",
        "OUTPOST_WEBHOOK_KEY_FILE", "/etc/outpost/tls.key",
        "OUTPOST_LEADER_ELECTION_NAMESPACE", "outpost-system",
        "OUTPOST_LEADER_IDENTITY", "bridge-0",
        "OUTPOST_LEADER_LEASE_SECONDS", "20",
        "OUTPOST_REQUIRE_SENDER_STAMP", "true",
        "OUTPOST_DEVICES", "false",
        "OUTPOST_HTTP_BIND", " 127.0.0.1 ",
        "OUTPOST_WEBHOOK_BIND", "::1",
        "OUTPOST_POD_CIDRS", "10.88.0.0/16",
        "OUTPOST_NODE_POD_CIDRS", "edge-1=10.42.1.0/24,fd00:42:1::/64; edge-2=10.42.2.0/24",
        "OUTPOST_SITE_POD_CIDRS", "site-17=10.17.0.0/16",
        "OUTPOST_SITE_LABEL", "example.com/site",
        "OUTPOST_EDGE_TAINT", "false",
        "OUTPOST_FLEET_WORKLOADS", "false",
        "OUTPOST_ARTIFACT_DIR", "/var/lib/outpost-bridge/artifacts"));
    assertThat(config).isEqualTo(new BridgeConfig("ssl://mqtt.example.com:8883", "bridge-2", 9090, "example.com/site",
        "store", 1024, 3600, Duration.ofSeconds(1), Duration.ofSeconds(600), 50, 4, 9443,
        java.nio.file.Path.of("/etc/outpost/tls.crt"), java.nio.file.Path.of("/etc/outpost/tls.key"),
        "outpost-system", "bridge-0", Duration.ofSeconds(20), true, false, KubeletConfig.OFF,
        new BindAddress(ip("127.0.0.1"), "OUTPOST_HTTP_BIND"), new BindAddress(ip("::1"), "OUTPOST_WEBHOOK_BIND"),
        new PodNetworks(Map.of("edge-1", List.of(Cidr.parse("10.42.1.0/24"), Cidr.parse("fd00:42:1::/64")),
            "edge-2", List.of(Cidr.parse("10.42.2.0/24"))), Map.of("site-17", List.of(Cidr.parse("10.17.0.0/16"))),
            "example.com/site", List.of(Cidr.parse("10.88.0.0/16"))),
        FairShares.DEFAULTS, false, false, SiteSettings.DEFAULTS,
        java.nio.file.Path.of("/var/lib/outpost-bridge/artifacts"), new RolloutSettings(true, Duration.ofSeconds(3600))));
    assertThat(config.leaderElection()).isTrue();
    assertThat(config.webhookEnabled()).isTrue();
  }

  @Test
  void blankValuesFallBackToDefaults() {
    BridgeConfig config = BridgeConfig.from(env("OUTPOST_HTTP_PORT", " ", "OUTPOST_LEASE_DURATION_SECONDS", ""));
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.leaseDurationSeconds()).isEqualTo(40);
  }

  @Test
  void missingBrokerUrlNamesTheKey() {
    assertThatThrownBy(() -> BridgeConfig.from(Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OUTPOST_BROKER_URL");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", "  ")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OUTPOST_BROKER_URL");
  }

  @ParameterizedTest
  @CsvSource({"http://broker:1883", "broker:1883", "tcp://", "tcp://bro ker:1883"})
  void badBrokerUrlNamesTheKey(String url) {
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", url)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OUTPOST_BROKER_URL");
  }

  @ParameterizedTest
  @CsvSource({
      "OUTPOST_HTTP_PORT, eighty",
      "OUTPOST_HTTP_PORT, 65536",
      "OUTPOST_HTTP_PORT, -1",
      "OUTPOST_MAX_MESSAGE_BYTES, 1023",
      "OUTPOST_MAX_MESSAGE_BYTES, 1e6",
      "OUTPOST_LEASE_DURATION_SECONDS, 9",
      "OUTPOST_LEASE_DURATION_SECONDS, 3601",
      "OUTPOST_NODE_STATUS_REFRESH_SECONDS, 0",
      "OUTPOST_NODE_STATUS_REFRESH_SECONDS, 99999999999"})
  void badIntegerNamesTheKey(String key, String value) {
    assertThatThrownBy(() -> BridgeConfig.from(env(key, value)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(key).hasMessageContaining(value);
  }

  @ParameterizedTest
  @CsvSource({"outpost.io/edge", "=true", "outpost.io/edge="})
  void badEdgeLabelNamesTheKey(String label) {
    assertThatThrownBy(() -> BridgeConfig.from(env("OUTPOST_EDGE_LABEL", label)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OUTPOST_EDGE_LABEL");
  }

  private static java.net.InetAddress ip(String literal) {
    try {
      return java.net.InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void bindAddressesDefaultToEveryInterfaceAndOneSettingCoversAllServers() {
    BridgeConfig all = BridgeConfig.from(env());
    assertThat(all.httpBind().address()).isNull();
    assertThat(all.webhookBind().address()).isNull();
    BridgeConfig loopback = BridgeConfig.from(env("OUTPOST_BIND_ADDRESS", "127.0.0.1", "OUTPOST_WEBHOOK_BIND",
        "10.1.2.3", "OUTPOST_KUBELET_CLIENT_CA_FILE", "/ca.crt", "OUTPOST_KUBELET_ADDRESS", "10.0.0.5",
        "OUTPOST_KUBELET_CERT_FILE", "/tls.crt", "OUTPOST_KUBELET_KEY_FILE", "/tls.key"));
    assertThat(loopback.httpBind()).isEqualTo(new BindAddress(ip("127.0.0.1"), "OUTPOST_BIND_ADDRESS"));
    assertThat(loopback.webhookBind()).isEqualTo(new BindAddress(ip("10.1.2.3"), "OUTPOST_WEBHOOK_BIND"));
    assertThat(loopback.kubelet().bind()).isEqualTo(new BindAddress(ip("127.0.0.1"), "OUTPOST_BIND_ADDRESS"));
    assertThat(loopback.httpBind().describe(8080)).isEqualTo("127.0.0.1:8080");
    assertThat(all.httpBind().describe(8080)).isEqualTo("*:8080");
  }

  @ParameterizedTest
  @CsvSource({"OUTPOST_HTTP_BIND, localhost", "OUTPOST_WEBHOOK_BIND, 10.0.0.256", "OUTPOST_BIND_ADDRESS, example.com",
      "OUTPOST_HTTP_BIND, 10.0.0", "OUTPOST_BIND_ADDRESS, 1:2:3:4:5:6:7:8:9", "OUTPOST_WEBHOOK_BIND, eth0"})
  void aBindAddressMustBeAnIpLiteralAndTheErrorNamesTheKey(String key, String value) {
    assertThatThrownBy(() -> BridgeConfig.from(env(key, value))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(key).hasMessageContaining(value);
  }

  @Test
  void thePublishedKubeletAddressIsAnIpOrADnsNameAndItsPortMayDifferFromTheListeningOne() {
    Map<String, String> base = env("OUTPOST_KUBELET_CLIENT_CA_FILE", "/ca.crt", "OUTPOST_KUBELET_CERT_FILE",
        "/tls.crt", "OUTPOST_KUBELET_KEY_FILE", "/tls.key");
    base.put("OUTPOST_KUBELET_ADDRESS", "kubelet.outpost.example.net");
    base.put("OUTPOST_KUBELET_PUBLISHED_PORT", "443");
    KubeletConfig name = BridgeConfig.from(base).kubelet();
    assertThat(name.addressIsIp()).isFalse();
    assertThat(name.publishedPort()).isEqualTo(443);
    assertThat(name.port()).isEqualTo(10250);
    base.put("OUTPOST_KUBELET_ADDRESS", "fd00::10");
    assertThat(BridgeConfig.from(base).kubelet().addressIsIp()).isTrue();
    for (String bad : new String[] {"300.1.2.3", "kubelet_.example", "https://kubelet.example.net", "a b",
        "fd00::1::2", "10.0.0"}) {
      base.put("OUTPOST_KUBELET_ADDRESS", bad);
      assertThatThrownBy(() -> BridgeConfig.from(base)).hasMessageContaining("OUTPOST_KUBELET_ADDRESS")
          .hasMessageContaining(bad);
    }
    base.put("OUTPOST_KUBELET_ADDRESS", "10.0.0.5");
    base.put("OUTPOST_KUBELET_PUBLISHED_PORT", "65536");
    assertThatThrownBy(() -> BridgeConfig.from(base)).hasMessageContaining("OUTPOST_KUBELET_PUBLISHED_PORT");
  }

  @Test
  void theKubeletApiIsOffWithoutAClientCaAndNeedsItsAddressAndCertificateWithOne() {
    assertThat(BridgeConfig.from(env()).kubelet().enabled()).isFalse();
    assertThatThrownBy(() -> BridgeConfig.from(env("OUTPOST_KUBELET_CLIENT_CA_FILE", "/ca.crt")))
        .hasMessageContaining("OUTPOST_KUBELET_ADDRESS");
    KubeletConfig kubelet = BridgeConfig.from(env("OUTPOST_KUBELET_CLIENT_CA_FILE", "/ca.crt",
        "OUTPOST_KUBELET_ADDRESS", "10.0.0.5", "OUTPOST_KUBELET_CERT_FILE", "/tls.crt", "OUTPOST_KUBELET_KEY_FILE",
        "/tls.key", "OUTPOST_KUBELET_ALLOWED_USERS", "kube-apiserver-kubelet-client, admin")).kubelet();
    assertThat(kubelet).isEqualTo(new KubeletConfig(10250, "10.0.0.5", java.nio.file.Path.of("/tls.crt"),
        java.nio.file.Path.of("/tls.key"), java.nio.file.Path.of("/ca.crt"),
        java.util.Set.of("kube-apiserver-kubelet-client", "admin"), new BindAddress(null, "OUTPOST_KUBELET_BIND"),
        0));
    assertThatThrownBy(() -> BridgeConfig.from(env("OUTPOST_KUBELET_CLIENT_CA_FILE", "/ca.crt",
        "OUTPOST_KUBELET_ADDRESS", "10.0.0.5", "OUTPOST_KUBELET_CERT_FILE", "/tls.crt", "OUTPOST_KUBELET_KEY_FILE",
        "/tls.key", "OUTPOST_KUBELET_PORT", "70000"))).hasMessageContaining("OUTPOST_KUBELET_PORT");
    // The client CA is usually the cluster's, which signs every kubelet's certificate too: by default only the
    // API server's kubelet client name (kubeadm's) may call; "*" has to be asked for.
    assertThat(BridgeConfig.from(env("OUTPOST_KUBELET_CLIENT_CA_FILE", "/ca.crt", "OUTPOST_KUBELET_ADDRESS",
        "10.0.0.5", "OUTPOST_KUBELET_CERT_FILE", "/tls.crt", "OUTPOST_KUBELET_KEY_FILE", "/tls.key")).kubelet()
        .allowedUsers()).containsExactly("kube-apiserver-kubelet-client");
    assertThat(BridgeConfig.from(env("OUTPOST_KUBELET_CLIENT_CA_FILE", "/ca.crt", "OUTPOST_KUBELET_ADDRESS",
        "10.0.0.5", "OUTPOST_KUBELET_CERT_FILE", "/tls.crt", "OUTPOST_KUBELET_KEY_FILE", "/tls.key",
        "OUTPOST_KUBELET_ALLOWED_USERS", "*")).kubelet().allowedUsers()).containsExactly("*");
  }
}
