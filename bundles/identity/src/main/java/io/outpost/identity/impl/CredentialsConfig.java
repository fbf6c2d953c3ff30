package io.outpost.identity.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The keys of the node's credentials: configured with the link they are for ({@code io.outpost.sync}). */
@ObjectClassDefinition(name = "Outpost node credentials", description = "This edge node's identity: where it is"
    + " kept and how the node joins unattended.")
public @interface CredentialsConfig {
  @AttributeDefinition(description = "This node's name, as the Kubernetes Node is named (DNS-1123).")
  String node_name();

  @AttributeDefinition(description = "Directory of this node's identity (node.pem: key, certificate, CA; mode"
      + " 0600). Empty means <karaf.data>/outpost/identity.")
  String identity_dir() default "";

  @AttributeDefinition(description = "Unattended join: the bridge's join endpoint (https://host:9443).")
  String join_url() default "";

  @AttributeDefinition(description = "Unattended join: the one-time token from 'token create'.")
  String join_token() default "";

  @AttributeDefinition(description = "Unattended join: the bridge CA's fingerprint (sha256:...).")
  String join_ca() default "";
}
