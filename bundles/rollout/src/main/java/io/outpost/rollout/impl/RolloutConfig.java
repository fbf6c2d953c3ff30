package io.outpost.rollout.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** {@code etc/io.outpost.rollout.cfg}: the keys this node trusts, and how long a new revision has to prove itself. */
@ObjectClassDefinition(name = "Outpost gateway rollouts")
public @interface RolloutConfig {
  @AttributeDefinition(description = "Keys whose signatures this node accepts: id=base64 (X.509 Ed25519 public key),"
      + " separated by commas; empty: no artifact is installed")
  String trusted_keys() default "";

  @AttributeDefinition(description = "Seconds a new revision has to be active with every Outpost bundle active again,"
      + " before it is rolled back")
  int health_timeout_seconds() default 60;
}
