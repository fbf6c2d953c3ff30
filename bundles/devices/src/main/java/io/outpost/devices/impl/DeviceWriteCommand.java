package io.outpost.devices.impl;

import io.outpost.devices.DriverException;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code outpost:device-write <protocol> <protocol-config> <visitor-config> <value>}: writes one value. */
@Command(scope = "outpost", name = "device-write", description = "Writes one value to a device through its driver")
@Service
public class DeviceWriteCommand extends DeviceCommand {
  @Argument(index = 3, name = "value", required = true, description = "the value, as text")
  String value;

  @Override
  public Object execute() {
    try {
      drivers.write(protocol, DriverRegistry.parse(config), DriverRegistry.parse(visitor), value);
      System.out.println("Written.");
    } catch (DriverException e) {
      System.out.println("Write failed (" + e.reason() + "): " + e.getMessage());
    }
    return null;
  }
}
