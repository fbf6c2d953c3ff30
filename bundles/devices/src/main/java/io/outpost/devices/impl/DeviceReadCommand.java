package io.outpost.devices.impl;

import io.outpost.devices.DriverException;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code outpost:device-read <protocol> <protocol-config> <visitor-config>}: reads one value through a driver, as a
 * device property would be read — for commissioning and troubleshooting a device from the node, e.g.
 * {@code outpost:device-read modbus ip=10.0.0.7,port=502,slaveID=1 register=HoldingRegister,offset=3,limit=1}.
 */
@Command(scope = "outpost", name = "device-read", description = "Reads one value from a device through its driver")
@Service
public class DeviceReadCommand extends DeviceCommand {
  @Override
  public Object execute() {
    try {
      System.out.println(drivers.read(protocol, DriverRegistry.parse(config), DriverRegistry.parse(visitor)));
    } catch (DriverException e) {
      System.out.println("Read failed (" + e.reason() + "): " + e.getMessage());
    }
    return null;
  }
}
