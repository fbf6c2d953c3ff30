package io.outpost.bridge.config;

import io.outpost.bridge.net.BindAddress;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The bridge's configuration, read once from environment variables (or a properties file named by
 * {@code OUTPOST_BRIDGE_CONFIG}; environment wins) and validated; an invalid value fails start-up naming the key.
 * The Kubernetes connection is not configured here: fabric8 discovers it (KUBECONFIG, in-cluster service account).
 */
public record BridgeConfig(
    String brokerUrl,
    String mqttClientId,
    int httpPort,
    String edgeLabelKey,
    String edgeLabelValue,
    int maxMessageBytes,
    int leaseDurationSeconds,
    Duration nodeStatusRefresh,
    Duration leaseRenewInterval,
    int kubeWritesPerSecond,
    int routerThreads,
    int webhookPort,
    Path webhookCertFile,
    Path webhookKeyFile,
    String leaderElectionNamespace,
    String leaderIdentity,
    Duration leaderLease,
    boolean requireSenderStamp,
    boolean devices,
    KubeletConfig kubelet,
    BindAddress httpBind,
    BindAddress webhookBind,
    PodNetworks podNetworks,
    FairShares fairShares,
    boolean edgeTaint,
    boolean fleetWorkloads,
    SiteSettings sites,
    Path artifactDir,
    RolloutSettings rollouts) {

  /** True if this bridge is one of several, active/standby, chosen by a Lease in {@link #leaderElectionNamespace}. */
  public boolean leaderElection() {
    return leaderElectionNamespace != null;
  }

  /** True if the MQTT link has no TLS ({@code tcp://}, {@code ws://}): allowed only by OUTPOST_INSECURE_PLAINTEXT. */
  public boolean plaintext() {
    return isPlaintext(brokerUrl);
  }

  static boolean isPlaintext(String brokerUrl) {
    return brokerUrl.startsWith("tcp://") || brokerUrl.startsWith("ws://");
  }

  /** True if the admission webhook is to be served (its certificate and key are configured). */
  public boolean webhookEnabled() {
    return webhookCertFile != null;
  }

  public static BridgeConfig fromEnvironment() throws IOException {
    return from(environment());
  }

  /** The {@code OUTPOST_*} settings: the file named by {@code OUTPOST_BRIDGE_CONFIG}, overridden by the environment. */
  public static Map<String, String> environment() throws IOException {
    Map<String, String> values = new HashMap<>();
    String file = System.getenv("OUTPOST_BRIDGE_CONFIG");
    if (file != null && !file.isBlank()) {
      Properties properties = new Properties();
      try (Reader reader = Files.newBufferedReader(Path.of(file))) {
        properties.load(reader);
      }
      properties.forEach((k, v) -> values.put(k.toString(), v.toString()));
    }
    values.putAll(System.getenv());
    return values;
  }

  /** Builds the configuration from {@code OUTPOST_*} keys. */
  public static BridgeConfig from(Map<String, String> env) {
    String broker = required(env, "OUTPOST_BROKER_URL");
    if (!broker.matches("(tcp|ssl|ws|wss)://[^/\\s]+(:\\d+)?/?")) {
      throw new IllegalArgumentException("OUTPOST_BROKER_URL '" + broker + "' must look like ssl://host:port (or"
          + " tcp://host:port with OUTPOST_INSECURE_PLAINTEXT=true)");
    }
    if (isPlaintext(broker) && !bool(env, "OUTPOST_INSECURE_PLAINTEXT", "false")) {
      throw new IllegalArgumentException("OUTPOST_BROKER_URL '" + broker + "' is plain MQTT: without TLS nodes and"
          + " the bridge are not authenticated, and any host on the path can read the traffic and register Nodes."
          + " Use ssl://<broker>:8883 with OUTPOST_CA_DIR, or, for a development link only, set"
          + " OUTPOST_INSECURE_PLAINTEXT=true");
    }
    String label = env.getOrDefault("OUTPOST_EDGE_LABEL", "outpost.io/edge=true");
    int eq = label.indexOf('=');
    if (eq <= 0 || eq == label.length() - 1) {
      throw new IllegalArgumentException("OUTPOST_EDGE_LABEL '" + label + "' must be key=value");
    }
    int leaseDuration = integer(env, "OUTPOST_LEASE_DURATION_SECONDS", 40, 10, 3600);
    String cert = env.get("OUTPOST_WEBHOOK_CERT_FILE");
    String key = env.get("OUTPOST_WEBHOOK_KEY_FILE");
    boolean hasCert = cert != null && !cert.isBlank();
    boolean hasKey = key != null && !key.isBlank();
    if (hasCert != hasKey) {
      throw new IllegalArgumentException("OUTPOST_WEBHOOK_CERT_FILE and OUTPOST_WEBHOOK_KEY_FILE go together");
    }
    return new BridgeConfig(broker,
        env.getOrDefault("OUTPOST_MQTT_CLIENT_ID", "outpost-bridge"),
        integer(env, "OUTPOST_HTTP_PORT", 8080, 0, 65535),
        label.substring(0, eq), label.substring(eq + 1),
        integer(env, "OUTPOST_MAX_MESSAGE_BYTES", 262144, 1024, 16 * 1024 * 1024),
        leaseDuration,
        Duration.ofSeconds(integer(env, "OUTPOST_NODE_STATUS_REFRESH_SECONDS", 60, 1, 3600)),
        // As the kubelet: renew at a quarter of the duration, so three renewals may fail before the Lease expires.
        Duration.ofSeconds(integer(env, "OUTPOST_LEASE_RENEW_SECONDS", Math.max(1, leaseDuration / 4), 1,
            Math.max(1, leaseDuration / 2))),
        integer(env, "OUTPOST_KUBE_WRITES_PER_SECOND", 200, 1, 100_000),
        integer(env, "OUTPOST_ROUTER_THREADS", 2, 1, 64),
        integer(env, "OUTPOST_WEBHOOK_PORT", 8443, 0, 65535),
        hasCert ? Path.of(cert.trim()) : null, hasKey ? Path.of(key.trim()) : null,
        blankToNull(env.get("OUTPOST_LEADER_ELECTION_NAMESPACE")),
        env.getOrDefault("OUTPOST_LEADER_IDENTITY", defaultIdentity()).trim(),
        Duration.ofSeconds(integer(env, "OUTPOST_LEADER_LEASE_SECONDS", 15, 3, 300)),
        bool(env, "OUTPOST_REQUIRE_SENDER_STAMP", "false"),
        bool(env, "OUTPOST_DEVICES", "true"),
        KubeletConfig.from(env),
        BindAddress.from(env, "OUTPOST_HTTP_BIND"),
        BindAddress.from(env, "OUTPOST_WEBHOOK_BIND"),
        // What a node may claim in pod status (docs/security.md): pod address ranges per node, site or default.
        PodNetworks.from(env),
        FairShares.from(env),
        // Off only for a conformance run (docs/conformance.md): the e2e framework picks nodes without NoSchedule taints.
        bool(env, "OUTPOST_EDGE_TAINT", "true"),
        // Multi-site workloads (SiteWorkload): on wherever deploy/kubernetes/06-fleet-crds.yaml is installed.
        bool(env, "OUTPOST_FLEET_WORKLOADS", "true"),
        // Sites (docs/operations.md, "Sites"): where join-token sites are recorded, how often Site status is written.
        SiteSettings.from(env),
        // Gateway rollouts: where fetched artifacts are kept (null: a temporary directory for this process).
        blankToNull(env.get("OUTPOST_ARTIFACT_DIR")) == null ? null : Path.of(env.get("OUTPOST_ARTIFACT_DIR").trim()),
        // Gateway rollouts (docs/operations.md, "Gateway rollouts"): on wherever 08-rollout-crds.yaml is installed.
        RolloutSettings.from(env, Duration.ofSeconds(leaseDuration)));
  }

  private static boolean bool(Map<String, String> env, String key, String fallback) {
    String value = env.getOrDefault(key, fallback).trim();
    if (!value.equals("true") && !value.equals("false") && !value.isEmpty()) {
      throw new IllegalArgumentException(key + " must be true or false, was '" + value + "'");
    }
    return value.isEmpty() ? fallback.equals("true") : value.equals("true");
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static String defaultIdentity() {
    String host = System.getenv("HOSTNAME");
    return (host == null || host.isBlank() ? "bridge" : host) + "-" + java.util.UUID.randomUUID().toString()
        .substring(0, 8);
  }

  /**
   * A configuration for tests and embedding: the given broker, an ephemeral HTTP port, defaults otherwise (a plain
   * broker is refused; see {@link #forPlaintextBroker}).
   */
  public static BridgeConfig forBroker(String brokerUrl) {
    return from(Map.of("OUTPOST_BROKER_URL", brokerUrl, "OUTPOST_HTTP_PORT", "0"));
  }

  /**
   * {@link #forBroker} for a plain {@code tcp://} broker on the same machine (tests, the quickstart), with
   * {@code OUTPOST_INSECURE_PLAINTEXT=true}.
   */
  public static BridgeConfig forPlaintextBroker(String brokerUrl) {
    return from(Map.of("OUTPOST_BROKER_URL", brokerUrl, "OUTPOST_HTTP_PORT", "0",
        "OUTPOST_INSECURE_PLAINTEXT", "true"));
  }

  private static String required(Map<String, String> env, String key) {
    String value = env.get(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " is required");
    }
    return value.trim();
  }

  /** {@code key} as an integer within [min, max], {@code fallback} if unset; the error names the key. */
  public static int integer(Map<String, String> env, String key, int fallback, int min, int max) {
    String value = env.get(key);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed < min || parsed > max) {
        throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", was " + parsed);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, was '" + value + "'", e);
    }
  }
}
