package io.outpost.sync.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(pid = EdgeSyncComponent.PID,
    name = "Outpost sync", description = "This edge node's MQTT link to the cloud bridge.")
/** The metatype of the component's own PID (its keys may also be set in the node-wide io.outpost.node). */
public @interface SyncConfig {
  @AttributeDefinition(description = "This node's name, as the Kubernetes Node is named (DNS-1123).")
  String node_name();

  @AttributeDefinition(description = "The site (edge data center) this node belongs to, shown on its Node as"
      + " topology.kubernetes.io/zone and the bridge's site label; empty for none. A site named by the node's join"
      + " token or an operator's label on the Node wins (docs/operations.md, Sites).", required = false)
  String site() default "";

  @AttributeDefinition(description = "The region of the node's site, shown on its Node as"
      + " topology.kubernetes.io/region; empty for none. Only with a site.", required = false)
  String region() default "";

  @AttributeDefinition(description = "MQTT 5 broker URL: ssl://host:8883 (or wss://). A plain tcp:// or ws:// broker"
      + " is refused unless insecure.plaintext is true.")
  String broker_url();

  @AttributeDefinition(description = "Allow a plain tcp:// or ws:// broker.url, for a development link only: the node"
      + " is then not authenticated and any host on the path can read its traffic and register Nodes. Logged as a"
      + " warning; false refuses such a broker (the node stays offline and outpost:status says why).")
  boolean insecure_plaintext() default false;

  @AttributeDefinition(description = "MQTT client id; empty means outpost-edge-<node.name>.")
  String mqtt_client_id() default "";

  @AttributeDefinition(description = "Seconds between node heartbeats.")
  int heartbeat_interval_seconds() default 10;

  @AttributeDefinition(description = "Seconds between the metric samples a heartbeat carries (the heartbeats between"
      + " carry none: the bridge keeps the last ones).")
  int heartbeat_metrics_interval_seconds() default 60;

  @AttributeDefinition(description = "Seconds after which a heartbeat carries all node facts (identity, capacity,"
      + " allocatable, addresses, conditions) again even if none changed; they go on every connect and change too.")
  int heartbeat_facts_refresh_seconds() default 600;

  @AttributeDefinition(description = "Seconds between samples of the node's resource usage (CPU, memory per pod and"
      + " container) sent for kubectl top and HPAs (metrics-server reads it from the bridge's kubelet API); 0: none."
      + " Sent at QoS 0 and never queued: disposable telemetry.")
  int stats_interval_seconds() default 15;

  @AttributeDefinition(description = "Upper bound, in seconds, of the reconnect back-off.")
  int reconnect_max_seconds() default 60;

  @AttributeDefinition(description = "MQTT session expiry in seconds (the broker may keep queued messages so long).")
  long session_expiry_seconds() default 604800;

  @AttributeDefinition(description = "Largest message, in bytes, accepted or sent.")
  int max_message_bytes() default 262144;

  @AttributeDefinition(description = "Pods this node offers to run (Node capacity 'pods').")
  int max_pods() default 110;

  @AttributeDefinition(description = "Directory of this node's identity (node.pem: key, certificate, CA; mode"
      + " 0600). Empty means <karaf.data>/outpost/identity.")
  String identity_dir() default "";

  @AttributeDefinition(description = "Unattended join: the bridge's join endpoint (https://host:9443); with"
      + " join.token and join.ca, a node without an identity joins at start.")
  String join_url() default "";

  @AttributeDefinition(description = "Unattended join: the one-time token from 'token create'.")
  String join_token() default "";

  @AttributeDefinition(description = "Unattended join: the bridge CA's fingerprint (sha256:...).")
  String join_ca() default "";

  @AttributeDefinition(description = "Directory of pod volumes (shared with the container manager); its filesystem is"
      + " the node's nodefs: ephemeral-storage capacity and DiskPressure. Empty means ${karaf.data}/outpost/volumes.")
  String volumes_dir() default "";

  @AttributeDefinition(description = "The container engine's storage directory (imagefs, for DiskPressure); empty"
      + " for none. Podman's default is /var/lib/containers/storage, Docker's /var/lib/docker.")
  String imagefs_dir() default NodeStatusSettings.DEFAULT_IMAGEFS;

  @AttributeDefinition(description = "Hard eviction thresholds, as the kubelet's --eviction-hard: signal<quantity"
      + " or signal<percent, comma-separated; signals memory.available, nodefs.available, imagefs.available,"
      + " pid.available. They set allocatable and the pressure conditions.")
  String eviction_hard() default NodeStatusSettings.DEFAULT_EVICTION_HARD;

  @AttributeDefinition(description = "Resources kept from pods for the system, as the kubelet's --system-reserved:"
      + " cpu=…,memory=…,ephemeral-storage=…")
  String system_reserved() default "";

  @AttributeDefinition(description = "Resources kept from pods for Outpost itself, as the kubelet's"
      + " --kube-reserved: cpu=…,memory=…,ephemeral-storage=…")
  String kube_reserved() default "";

  @AttributeDefinition(description = "Seconds a pressure condition stays True after its signal was last over the"
      + " threshold, as the kubelet's --eviction-pressure-transition-period.", min = "0")
  int eviction_pressure_transition_period_seconds() default NodeStatusSettings.DEFAULT_TRANSITION_SECONDS;
}
