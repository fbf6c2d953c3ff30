package io.outpost.bridge.join;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.net.BindAddress;
import io.outpost.identity.CertificateAuthority;
import io.outpost.identity.Pki;
import io.outpost.identity.Tls;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * Node onboarding and transport security settings of the bridge, from its {@code OUTPOST_*} settings:
 * <ul>
 *   <li>{@code OUTPOST_CA_DIR} — the CA's directory (created on first start); without it the bridge has no CA, no
 *       join endpoint and can only use plain TCP to the broker;</li>
 *   <li>{@code OUTPOST_NAMESPACE} (default {@code outpost-system}) — where tokens and node records live;</li>
 *   <li>{@code OUTPOST_JOIN_PORT} (default 9443, 0 = off), {@code OUTPOST_JOIN_BIND} (an IP address; default
 *       {@code OUTPOST_BIND_ADDRESS}, else every interface),
 *       {@code OUTPOST_JOIN_NAMES} — the names and addresses nodes use to reach the endpoint (certificate SANs;
 *       default: this host's name, localhost and 127.0.0.1);</li>
 *   <li>{@code OUTPOST_NODE_CERT_DAYS} (default 30) — node certificate lifetime; nodes renew at two thirds.</li>
 * </ul>
 */
public final class Onboarding implements AutoCloseable {
  public static final String BRIDGE_IDENTITY = "outpost-bridge";

  private final CertificateAuthority ca;
  private final JoinTokens tokens;
  private final NodeCertificates certificates;
  private final Map<String, String> settings;
  private JoinService service;

  private Onboarding(CertificateAuthority ca, JoinTokens tokens, NodeCertificates certificates,
      Map<String, String> settings) {
    this.ca = ca;
    this.tokens = tokens;
    this.certificates = certificates;
    this.settings = settings;
  }

  /** Onboarding as configured (the CA loaded or created), or null if {@code OUTPOST_CA_DIR} is not set. */
  public static Onboarding from(Map<String, String> settings, KubernetesClient client) {
    String caDir = settings.get("OUTPOST_CA_DIR");
    if (caDir == null || caDir.isBlank()) {
      return null;
    }
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(Path.of(caDir));
    String namespace = settings.getOrDefault("OUTPOST_NAMESPACE", "outpost-system");
    JoinTokens tokens = new JoinTokens(client, namespace, Clock.systemUTC());
    NodeCertificates certificates = new NodeCertificates(client, namespace, Clock.systemUTC());
    BridgeConfig.integer(settings, "OUTPOST_JOIN_PORT", 9443, 0, 65535); // fail early on a bad value
    BindAddress.from(settings, "OUTPOST_JOIN_BIND");
    BridgeConfig.integer(settings, "OUTPOST_NODE_CERT_DAYS", 30, 1, 825);
    JoinService.Limits.from(settings);
    return new Onboarding(ca, tokens, certificates, settings);
  }

  /** Starts the join endpoint (unless {@code OUTPOST_JOIN_PORT} is 0), counting into {@code metrics}. */
  public void serve(Metrics metrics) throws IOException {
    int port = BridgeConfig.integer(settings, "OUTPOST_JOIN_PORT", 9443, 0, 65535);
    if (port != 0 && service == null) {
      service = new JoinService(ca, tokens, certificates, Duration.ofDays(BridgeConfig.integer(settings,
          "OUTPOST_NODE_CERT_DAYS", 30, 1, 825)), metrics, BindAddress.from(settings, "OUTPOST_JOIN_BIND"), port,
          names(settings), JoinService.Limits.from(settings));
    }
  }

  /** The names in the join endpoint's (and the embedded broker's) certificate. */
  public static List<String> names(Map<String, String> settings) {
    String configured = settings.get("OUTPOST_JOIN_NAMES");
    if (configured != null && !configured.isBlank()) {
      return Arrays.stream(configured.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
    List<String> names = new ArrayList<>(List.of("localhost", "127.0.0.1"));
    try {
      names.add(0, InetAddress.getLocalHost().getHostName());
    } catch (IOException e) {
      // the defaults suffice
    }
    return names;
  }

  /** TLS for the bridge's own MQTT connection: a client certificate {@code CN=outpost-bridge}, trusting the CA. */
  public SSLContext mqttTls() {
    KeyPair keys = Pki.newKeyPair();
    // Made anew at every start; long-lived so that a bridge running for years never presents an expired one.
    return Tls.context(keys.getPrivate(), List.of(ca.issueClient(BRIDGE_IDENTITY, keys.getPublic(),
        Duration.ofDays(3650)), ca.certificate()), ca.certificate());
  }

  public CertificateAuthority ca() {
    return ca;
  }

  public JoinTokens tokens() {
    return tokens;
  }

  public NodeCertificates certificates() {
    return certificates;
  }

  /** The join endpoint's port, or 0 if it is off. */
  public int joinPort() {
    return service == null ? 0 : service.port();
  }

  @Override
  public void close() {
    if (service != null) {
      service.close();
    }
  }
}
