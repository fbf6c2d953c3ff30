package io.outpost.sync.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Outpost sync", description = "This edge node's MQTT link to the cloud bridge.")
public @interface SyncConfig {
  @AttributeDefinition(description = "This node's name, as the Kubernetes Node is named (DNS-1123).")
  String node_name();

  @AttributeDefinition(description = "MQTT 5 broker URL, tcp://host:port or ssl://host:port.")
  String broker_url();

  @AttributeDefinition(description = "MQTT client id; empty means outpost-edge-<node.name>.")
  String mqtt_client_id() default "";

  @AttributeDefinition(description = "Seconds between node heartbeats.")
  int heartbeat_interval_seconds() default 10;

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
}
