package io.outpost.sync.impl;

import io.outpost.protocol.Topics;
import java.time.Duration;

/** {@link SyncConfig}, validated once; an invalid value fails activation with a message naming the key. */
record Settings(String node, String brokerUrl, String clientId, Duration heartbeat, Duration reconnectMax,
    long sessionExpirySeconds, int maxMessageBytes, int maxPods, java.nio.file.Path identityDir, String joinUrl,
    String joinToken, String joinCa, NodeStatusSettings nodeStatus, boolean insecurePlaintext,
    Duration metricsInterval, Duration factsRefresh, String site, String region, Duration statsInterval) {

  /** The shipped {@code stats.interval.seconds}: metrics-server scrapes every 15 s by default. */
  static final Duration STATS_INTERVAL = Duration.ofSeconds(15);

  /** Settings with the shipped resource usage interval. */
  Settings(String node, String brokerUrl, String clientId, Duration heartbeat, Duration reconnectMax,
      long sessionExpirySeconds, int maxMessageBytes, int maxPods, java.nio.file.Path identityDir, String joinUrl,
      String joinToken, String joinCa, NodeStatusSettings nodeStatus, boolean insecurePlaintext,
      Duration metricsInterval, Duration factsRefresh, String site, String region) {
    this(node, brokerUrl, clientId, heartbeat, reconnectMax, sessionExpirySeconds, maxMessageBytes, maxPods,
        identityDir, joinUrl, joinToken, joinCa, nodeStatus, insecurePlaintext, metricsInterval, factsRefresh, site,
        region, STATS_INTERVAL);
  }

  /** The shipped {@code heartbeat.metrics.interval.seconds}. */
  static final Duration METRICS_INTERVAL = Duration.ofSeconds(60);
  /** The shipped {@code heartbeat.facts.refresh.seconds}. */
  static final Duration FACTS_REFRESH = Duration.ofMinutes(10);

  /** Settings with the kubelet's default node status thresholds; plain MQTT refused ({@link #allowingPlaintext}). */
  Settings(String node, String brokerUrl, String clientId, Duration heartbeat, Duration reconnectMax,
      long sessionExpirySeconds, int maxMessageBytes, int maxPods, java.nio.file.Path identityDir, String joinUrl,
      String joinToken, String joinCa) {
    this(node, brokerUrl, clientId, heartbeat, reconnectMax, sessionExpirySeconds, maxMessageBytes, maxPods,
        identityDir, joinUrl, joinToken, joinCa, NodeStatusSettings.defaults(defaultVolumesDir()), false,
        METRICS_INTERVAL, FACTS_REFRESH, null, null);
  }

  /** These settings with {@code insecure.plaintext = true}: a tcp:// or ws:// broker is used (with a warning). */
  Settings allowingPlaintext() {
    return new Settings(node, brokerUrl, clientId, heartbeat, reconnectMax, sessionExpirySeconds, maxMessageBytes,
        maxPods, identityDir, joinUrl, joinToken, joinCa, nodeStatus, true, metricsInterval, factsRefresh, site,
        region, statsInterval);
  }

  /** {@code ${karaf.data}/outpost/volumes} (the temporary directory outside Karaf), as the container manager's. */
  static java.nio.file.Path defaultVolumesDir() {
    return java.nio.file.Path.of(System.getProperty("karaf.data", System.getProperty("java.io.tmpdir")), "outpost",
        "volumes");
  }

  /** Settings without an identity or join keys (plain MQTT still refused unless {@link #allowingPlaintext}). */
  Settings(String node, String brokerUrl, String clientId, Duration heartbeat, Duration reconnectMax,
      long sessionExpirySeconds, int maxMessageBytes, int maxPods) {
    this(node, brokerUrl, clientId, heartbeat, reconnectMax, sessionExpirySeconds, maxMessageBytes, maxPods, null,
        "", "", "");
  }

  /**
   * Why this configuration cannot be used as written, or empty. A plain-MQTT broker (tcp://, ws://) is refused unless
   * {@code insecure.plaintext} is true: the node would connect unauthenticated, silently. The unattended-join keys
   * are refused, naming them,
   * when they could never take effect — over plain TCP a node has no use for a certificate (a join there would spend
   * the one-time token for nothing) — or when some of the three are missing. The node then stays offline and says
   * why (log and {@code outpost:status}) instead of running without the identity the operator meant it to have.
   */
  java.util.Optional<String> refusal() {
    java.util.Optional<String> join = joinRefusal();
    if (join.isPresent() || tls() || insecurePlaintext) { // the join refusal's advice (ssl://) covers plain text too
      return join;
    }
    return java.util.Optional.of("broker.url '" + brokerUrl + "' is plain MQTT: without TLS this node is not"
        + " authenticated, and any host on the path can read its traffic and register Nodes. Set broker.url ="
        + " ssl://<broker>:8883 (and outpost:join), or, for a development link only, insecure.plaintext = true in"
        + " etc/io.outpost.sync.cfg (or in etc/io.outpost.node.cfg, which wins)");
  }

  /**
   * The unattended-join keys, refused when they could never take effect (a plain-MQTT broker) or when some of the
   * three are missing.
   */
  private java.util.Optional<String> joinRefusal() {
    java.util.Map<String, String> join = new java.util.LinkedHashMap<>();
    join.put("join.url", joinUrl);
    join.put("join.token", joinToken);
    join.put("join.ca", joinCa);
    java.util.List<String> set = join.entrySet().stream().filter(e -> e.getValue() != null && !e.getValue().isEmpty())
        .map(java.util.Map.Entry::getKey).toList();
    if (set.isEmpty()) {
      return java.util.Optional.empty();
    }
    if (!tls()) {
      return java.util.Optional.of(String.join(", ", set) + (set.size() == 1 ? " is" : " are") + " set, but broker.url"
          + " '" + brokerUrl + "' is plain TCP: a node joins only to use its certificate with an ssl:// (or wss://)"
          + " broker. Set broker.url = ssl://<broker>:8883, or remove " + String.join(", ", set)
          + " from etc/io.outpost.sync.cfg and etc/io.outpost.node.cfg");
    }
    java.util.List<String> missing = join.keySet().stream().filter(k -> !set.contains(k)).toList();
    return missing.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of("an unattended join needs join.url,"
        + " join.token and join.ca together; " + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
        + " not set in etc/io.outpost.sync.cfg or etc/io.outpost.node.cfg");
  }

  /** Where this node's identity is kept and how it joins unattended, for its {@code NodeCredentials}. */
  io.outpost.identity.NodeCredentials.Enrollment enrollment() {
    return new io.outpost.identity.NodeCredentials.Enrollment(node, identityDir, joinUrl, joinToken, joinCa);
  }

  /** True if the link uses TLS with this node's certificate. */
  boolean tls() {
    return brokerUrl.startsWith("ssl://") || brokerUrl.startsWith("wss://");
  }

  static Settings from(SyncConfig config) {
    String node = config.node_name() == null ? "" : config.node_name().trim();
    if (!Topics.isValidNodeName(node)) {
      throw new IllegalArgumentException("node.name '" + node + "' is not a valid node name (DNS-1123 subdomain)");
    }
    String broker = config.broker_url() == null ? "" : config.broker_url().trim();
    if (!broker.matches("(tcp|ssl|ws|wss)://[^/\\s]+(:\\d+)?/?")) {
      throw new IllegalArgumentException("broker.url '" + broker + "' must look like ssl://host:port (or wss://,"
          + " tcp://, ws://)");
    }
    if (config.heartbeat_interval_seconds() < 1) {
      throw new IllegalArgumentException("heartbeat.interval.seconds must be >= 1");
    }
    if (config.heartbeat_metrics_interval_seconds() < 1) {
      throw new IllegalArgumentException("heartbeat.metrics.interval.seconds must be >= 1");
    }
    if (config.heartbeat_facts_refresh_seconds() < 1) {
      throw new IllegalArgumentException("heartbeat.facts.refresh.seconds must be >= 1");
    }
    if (config.stats_interval_seconds() < 0) {
      throw new IllegalArgumentException("stats.interval.seconds must be >= 0 (0: no resource usage is sent)");
    }
    if (config.reconnect_max_seconds() < 1) {
      throw new IllegalArgumentException("reconnect.max.seconds must be >= 1");
    }
    String clientId = config.mqtt_client_id().isBlank() ? "outpost-edge-" + node : config.mqtt_client_id().trim();
    String identity = config.identity_dir().isBlank()
        ? System.getProperty("karaf.data", "data") + "/outpost/identity" : config.identity_dir().trim();
    String site = placement(config.site(), "site");
    String region = placement(config.region(), "region");
    if (region != null && site == null) {
      throw new IllegalArgumentException("region '" + region + "' is set without a site: set site too, or neither");
    }
    return new Settings(node, broker, clientId, Duration.ofSeconds(config.heartbeat_interval_seconds()),
        Duration.ofSeconds(config.reconnect_max_seconds()), config.session_expiry_seconds(),
        config.max_message_bytes(), config.max_pods(), java.nio.file.Path.of(identity), config.join_url().trim(),
        config.join_token().trim(), config.join_ca().trim(), nodeStatus(config), config.insecure_plaintext(),
        Duration.ofSeconds(config.heartbeat_metrics_interval_seconds()),
        Duration.ofSeconds(config.heartbeat_facts_refresh_seconds()), site, region,
        Duration.ofSeconds(config.stats_interval_seconds()));
  }

  /** A label value (what {@code topology.kubernetes.io/zone} and {@code /region} may hold). */
  private static final java.util.regex.Pattern LABEL_VALUE =
      java.util.regex.Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  /**
   * {@code site} or {@code region}: null when empty (not configured), else a Kubernetes label value, since the bridge
   * shows it as the Node's topology labels.
   */
  private static String placement(String value, String key) {
    String trimmed = value == null ? "" : value.trim();
    if (trimmed.isEmpty()) {
      return null;
    }
    if (!LABEL_VALUE.matcher(trimmed).matches()) {
      throw new IllegalArgumentException(key + " '" + trimmed + "' is not a valid label value (at most 63"
          + " characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit)");
    }
    return trimmed;
  }

  private static NodeStatusSettings nodeStatus(SyncConfig config) {
    String volumes = config.volumes_dir() == null ? "" : config.volumes_dir().trim();
    java.nio.file.Path nodefs = volumes.isEmpty() ? defaultVolumesDir() : java.nio.file.Path.of(volumes);
    if (!nodefs.isAbsolute()) {
      throw new IllegalArgumentException("volumes.dir must be an absolute path, got " + volumes);
    }
    return NodeStatusSettings.from(config.eviction_hard(), config.system_reserved(), config.kube_reserved(),
        config.eviction_pressure_transition_period_seconds(), nodefs, config.imagefs_dir());
  }
}
