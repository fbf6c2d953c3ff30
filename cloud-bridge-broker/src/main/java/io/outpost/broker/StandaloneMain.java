package io.outpost.broker;

import io.outpost.bridge.BridgeConfig;
import io.outpost.bridge.BridgeMain;
import java.nio.file.Path;
import java.util.Map;

/**
 * The bridge with an embedded MQTT 5 broker, for single-machine installations and the quickstart: one process, no
 * broker to install. Configured like the plain bridge ({@code OUTPOST_*} variables) plus:
 * <ul>
 *   <li>{@code OUTPOST_EMBEDDED_BROKER} — {@code host:port} the broker listens on (default {@code 127.0.0.1:1883};
 *       {@code 0.0.0.0:1883} to let edge nodes on other machines connect), or {@code off} to use
 *       {@code OUTPOST_BROKER_URL} alone;</li>
 *   <li>{@code OUTPOST_EMBEDDED_BROKER_DATA} — directory for the broker's sessions and retained messages (default
 *       {@code ./outpost-broker}).</li>
 * </ul>
 * {@code OUTPOST_BROKER_URL} defaults to the embedded broker. With arguments it runs an operator command of the bridge
 * ({@code token create}, {@code node revoke}, …; see {@code JoinCli}).
 */
public final class StandaloneMain {
  private StandaloneMain() {}

  public static void main(String[] args) throws Exception {
    Logging.useOutpostConfiguration();
    if (args.length > 0) { // operator commands (token create, node revoke, …) work with this jar too
      BridgeMain.main(args);
      return;
    }
    Map<String, String> settings = BridgeConfig.environment();
    String listen = settings.getOrDefault("OUTPOST_EMBEDDED_BROKER", "127.0.0.1:1883").trim();
    if ("off".equalsIgnoreCase(listen)) {
      BridgeMain.run(settings, () -> { });
      return;
    }
    EmbeddedBroker.Settings brokerSettings;
    try {
      brokerSettings = parse(listen, Path.of(settings.getOrDefault("OUTPOST_EMBEDDED_BROKER_DATA", "outpost-broker")));
    } catch (IllegalArgumentException e) {
      System.err.println("outpost-bridge: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    // One client and one onboarding (CA, node certificate records) for the broker's TLS and for the bridge.
    io.fabric8.kubernetes.client.KubernetesClient client =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder().build();
    io.outpost.bridge.join.Onboarding onboarding;
    try {
      onboarding = io.outpost.bridge.join.Onboarding.from(settings, client);
    } catch (IllegalArgumentException e) {
      System.err.println("outpost-bridge: invalid configuration: " + e.getMessage());
      client.close();
      System.exit(2);
      return;
    }
    EmbeddedBroker.Tls tls = tls(settings, onboarding);
    EmbeddedBroker broker = EmbeddedBroker.start(brokerSettings, tls);
    if (tls != null) { // the broker stamps every publish with its authenticated sender: require it
      settings.putIfAbsent("OUTPOST_REQUIRE_SENDER_STAMP", "true");
    }
    settings.putIfAbsent("OUTPOST_BROKER_URL", broker.url());
    BridgeMain.run(settings, client, onboarding, broker);
  }

  /**
   * With {@code OUTPOST_CA_DIR} set the embedded broker listens with TLS and client certificates from that CA
   * (server certificate for {@code OUTPOST_JOIN_NAMES}), confines every node to its topics and refuses revoked
   * nodes; without it, plain TCP for development.
   */
  static EmbeddedBroker.Tls tls(Map<String, String> settings, io.outpost.bridge.join.Onboarding onboarding) {
    if (onboarding == null) {
      return null;
    }
    java.security.KeyPair keys = io.outpost.identity.Pki.newKeyPair();
    // The names nodes use, and the addresses the bridge itself connects to (it verifies the host name).
    java.util.Set<String> names = new java.util.LinkedHashSet<>(io.outpost.bridge.join.Onboarding.names(settings));
    names.addAll(java.util.List.of("127.0.0.1", "localhost"));
    java.security.cert.X509Certificate certificate = onboarding.ca().issueServer("outpost-broker",
        keys.getPublic(), java.util.List.copyOf(names), java.time.Duration.ofDays(3650));
    return new EmbeddedBroker.Tls(keys.getPrivate(), java.util.List.of(certificate, onboarding.ca().certificate()),
        onboarding.ca().certificate(), onboarding.certificates()::revoked);
  }

  static EmbeddedBroker.Settings parse(String listen, Path dataDir) {
    int colon = listen.lastIndexOf(':');
    if (colon <= 0 || colon == listen.length() - 1) {
      throw new IllegalArgumentException("OUTPOST_EMBEDDED_BROKER '" + listen + "' must be host:port or off");
    }
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("OUTPOST_EMBEDDED_BROKER '" + listen + "': port is not a number");
    }
    EmbeddedBroker.Settings local = EmbeddedBroker.Settings.local(port, dataDir.toAbsolutePath());
    return new EmbeddedBroker.Settings(listen.substring(0, colon), port, local.dataDir(), local.maxPacketBytes(),
        local.maxQueuedPerClient());
  }
}
