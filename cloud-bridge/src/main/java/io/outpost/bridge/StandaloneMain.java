package io.outpost.bridge;

import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.join.Onboarding;
import io.outpost.broker.EmbeddedBroker;
import io.outpost.broker.Logging;
import java.nio.file.Path;
import java.util.Map;

/**
 * The bridge with its embedded MQTT 5 broker (module {@code cloud-bridge-broker}), for single-machine installations:
 * one process, no broker to install; the main of the {@code -with-broker} jar ({@link BridgeMain} is the plain
 * bridge's). Configured like the plain bridge ({@code OUTPOST_*} variables) plus:
 * <ul>
 *   <li>{@code OUTPOST_EMBEDDED_BROKER} — {@code host:port} the broker listens on (default {@code 127.0.0.1:1883};
 *       {@code 0.0.0.0:1883} to let edge nodes on other machines connect), or {@code off} to use
 *       {@code OUTPOST_BROKER_URL} alone;</li>
 *   <li>{@code OUTPOST_EMBEDDED_BROKER_DATA} — directory for the broker's sessions and retained messages (default
 *       {@code ./outpost-broker}).</li>
 * </ul>
 * {@code OUTPOST_BROKER_URL} defaults to the embedded broker. Without {@code OUTPOST_CA_DIR} the broker is plain
 * MQTT: on a loopback address the bridge's link to it is allowed ({@code OUTPOST_INSECURE_PLAINTEXT=true}, with a
 * warning), on any other address only if the operator set {@code OUTPOST_INSECURE_PLAINTEXT=true}. With arguments
 * it runs an operator command of the bridge ({@code token create}, {@code node revoke}, …; see {@code JoinCli}).
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
      brokerSettings = EmbeddedBroker.Settings.parse(listen, Path.of(settings.getOrDefault("OUTPOST_EMBEDDED_BROKER_DATA", "outpost-broker")));
    } catch (IllegalArgumentException e) {
      System.err.println("outpost-bridge: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    String caDir = settings.get("OUTPOST_CA_DIR");
    if (caDir == null || caDir.isBlank()) { // no CA: a plain-MQTT broker, loud, and only where it is allowed
      try {
        org.slf4j.LoggerFactory.getLogger(StandaloneMain.class).warn(allowPlaintext(brokerSettings, settings));
      } catch (IllegalArgumentException e) {
        System.err.println("outpost-bridge: invalid configuration: " + e.getMessage());
        System.exit(2);
        return;
      }
    }
    // One client and one onboarding (CA, node certificate records) for the broker's TLS and for the bridge.
    io.fabric8.kubernetes.client.KubernetesClient client =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder().build();
    Onboarding onboarding;
    try {
      onboarding = Onboarding.from(settings, client);
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
  static EmbeddedBroker.Tls tls(Map<String, String> settings, Onboarding onboarding) {
    if (onboarding == null) {
      return null;
    }
    java.security.KeyPair keys = io.outpost.identity.Pki.newKeyPair();
    // The names nodes use, and the addresses the bridge itself connects to (it verifies the host name).
    java.util.Set<String> names = new java.util.LinkedHashSet<>(Onboarding.names(settings));
    names.addAll(java.util.List.of("127.0.0.1", "localhost"));
    java.security.cert.X509Certificate certificate = onboarding.ca().issueServer("outpost-broker",
        keys.getPublic(), java.util.List.copyOf(names), java.time.Duration.ofDays(3650));
    return new EmbeddedBroker.Tls(keys.getPrivate(), java.util.List.of(certificate, onboarding.ca().certificate()),
        onboarding.ca().certificate(), onboarding.certificates()::revoked);
  }

  /**
   * For an embedded broker without TLS: on a loopback address (only this machine can reach it) the bridge's own link
   * to it is allowed plain ({@code OUTPOST_INSECURE_PLAINTEXT=true}, unless {@code OUTPOST_BROKER_URL} names another
   * broker); on any other address the operator must have set {@code OUTPOST_INSECURE_PLAINTEXT=true}, or it is
   * refused. Returns the warning that says so.
   */
  static String allowPlaintext(EmbeddedBroker.Settings broker, Map<String, String> settings) {
    String where = broker.bindAddress() + ":" + broker.port();
    if (!loopback(broker.bindAddress())) {
      if (!"true".equals(settings.getOrDefault("OUTPOST_INSECURE_PLAINTEXT", "").trim())) {
        throw new IllegalArgumentException("OUTPOST_EMBEDDED_BROKER " + where + " would serve plain MQTT beyond this"
            + " machine: without TLS nodes are not authenticated, and any host on the path can read the traffic and"
            + " register Nodes. Set OUTPOST_CA_DIR for a TLS broker, listen on 127.0.0.1, or, for a development"
            + " network only, set OUTPOST_INSECURE_PLAINTEXT=true");
      }
      return "Embedded MQTT broker on " + where + " WITHOUT TLS (OUTPOST_CA_DIR not set), allowed by"
          + " OUTPOST_INSECURE_PLAINTEXT=true: for a development network only — any host on the path can read the"
          + " traffic and register Nodes; edge nodes need insecure.plaintext = true";
    }
    if (!settings.containsKey("OUTPOST_BROKER_URL")) {
      settings.putIfAbsent("OUTPOST_INSECURE_PLAINTEXT", "true");
    }
    return "Embedded MQTT broker on " + where + " WITHOUT TLS (OUTPOST_CA_DIR not set), loopback only: plain MQTT"
        + " allowed for the bridge's link to it (OUTPOST_INSECURE_PLAINTEXT=true); edge nodes on this machine need"
        + " insecure.plaintext = true. For edge nodes elsewhere set OUTPOST_CA_DIR (TLS)";
  }

  static boolean loopback(String host) {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false; // a name that does not resolve here is nothing this machine alone can reach
    }
  }

}
