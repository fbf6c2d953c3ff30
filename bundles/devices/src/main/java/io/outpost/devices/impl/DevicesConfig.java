package io.outpost.devices.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(pid = DeviceTwins.PID,
    name = "Outpost devices", description = "Device twins of this edge node (feature"
    + " outpost-devices).")
/** The metatype of the component's own PID (its keys may also be set in the node-wide io.outpost.node). */
public @interface DevicesConfig {
  @AttributeDefinition(description = "This node's name, as the Kubernetes Node is named (DNS-1123).")
  String node_name();

  @AttributeDefinition(description = "Devices read or written at once; a device uses at most one at a time, so a"
      + " slow or unreachable device never holds more than one.")
  int devices_workers() default 4;
}
