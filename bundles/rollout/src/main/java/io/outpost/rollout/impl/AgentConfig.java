package io.outpost.rollout.impl;

import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The rollout agent's view of {@code etc/io.outpost.node.cfg}: the node's name. */
@ObjectClassDefinition(name = "Outpost gateway rollout agent")
public @interface AgentConfig {
  String node_name() default "";
}
