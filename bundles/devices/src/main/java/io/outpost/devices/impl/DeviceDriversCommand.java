package io.outpost.devices.impl;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code outpost:device-drivers}: the device protocols this node serves now. */
@Command(scope = "outpost", name = "device-drivers", description = "Lists the device protocol drivers installed")
@Service
public class DeviceDriversCommand implements Action {
  @Reference
  DriverRegistry drivers;

  @Override
  public Object execute() {
    var protocols = drivers.protocols();
    System.out.println(protocols.isEmpty() ? "No device protocol drivers installed." : String.join("\n", protocols));
    return null;
  }
}
