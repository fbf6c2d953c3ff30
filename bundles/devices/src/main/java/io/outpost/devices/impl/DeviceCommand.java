package io.outpost.devices.impl;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.lifecycle.Reference;

/** What the device read and write commands share: a driver, the device's and the property's configuration. */
abstract class DeviceCommand implements Action {
  @Reference
  DriverRegistry drivers;

  @Argument(index = 0, name = "protocol", required = true, description = "protocol name, e.g. modbus")
  String protocol;

  @Argument(index = 1, name = "protocol-config", required = true,
      description = "key=value,... as the device's spec.protocol.configData")
  String config;

  @Argument(index = 2, name = "visitor-config", required = true,
      description = "key=value,... as a property's visitors.configData")
  String visitor;
}
