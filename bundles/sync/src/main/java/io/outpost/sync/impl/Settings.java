package io.outpost.sync.impl;

import io.outpost.protocol.Topics;
import java.time.Duration;

/** {@link SyncConfig}, validated once; an invalid value fails activation with a message naming the key. */
record Settings(String node, String brokerUrl, String clientId, Duration heartbeat, Duration reconnectMax,
    long sessionExpirySeconds, int maxMessageBytes, int maxPods, java.nio.file.Path identityDir, String joinUrl,
    String joinToken, String joinCa, NodeStatusSettings nodeStatus) {

  /** Settings with the kubelet's default node status thresholds. */
  Settings(String node, String brokerUrl, String clientId, Duration heartbeat, Duration reconnectMax,
      long sessionExpirySeconds, int maxMessageBytes, int maxPods, java.nio.file.Path identityDir, String joinUrl,
      String joinToken, String joinCa) {
    this(node, brokerUrl, clientId, heartbeat, reconnectMax, sessionExpirySeconds, maxMessageBytes, maxPods,
        identityDir, joinUrl, joinToken, joinCa, NodeStatusSettings.defaults(defaultVolumesDir()));
  }

  /** {@code ${karaf.data}/outpost/volumes} (the temporary directory outside Karaf), as the container manager's. */
  static java.nio.file.Path defaultVolumesDir() {
    return java.nio.file.Path.of(System.getProperty("karaf.data", System.getProperty("java.io.tmpdir")), "outpost",
        "volumes");
  }

  /** Settings without an identity (plain TCP). */
  Settings(String node, String brokerUrl, String clientId, Duration heartbeat, Duration reconnectMax,
      long sessionExpirySeconds, int maxMessageBytes, int maxPods) {
    this(node, brokerUrl, clientId, heartbeat, reconnectMax, sessionExpirySeconds, maxMessageBytes, maxPods, null,
        "", "", "");
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
      throw new IllegalArgumentException("broker.url '" + broker + "' must look like tcp://host:port or ssl://host:port");
    }
    if (config.heartbeat_interval_seconds() < 1) {
      throw new IllegalArgumentException("heartbeat.interval.seconds must be >= 1");
    }
    if (config.reconnect_max_seconds() < 1) {
      throw new IllegalArgumentException("reconnect.max.seconds must be >= 1");
    }
    String clientId = config.mqtt_client_id().isBlank() ? "outpost-edge-" + node : config.mqtt_client_id().trim();
    String identity = config.identity_dir().isBlank()
        ? System.getProperty("karaf.data", "data") + "/outpost/identity" : config.identity_dir().trim();
    return new Settings(node, broker, clientId, Duration.ofSeconds(config.heartbeat_interval_seconds()),
        Duration.ofSeconds(config.reconnect_max_seconds()), config.session_expiry_seconds(),
        config.max_message_bytes(), config.max_pods(), java.nio.file.Path.of(identity), config.join_url().trim(),
        config.join_token().trim(), config.join_ca().trim(), nodeStatus(config));
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
