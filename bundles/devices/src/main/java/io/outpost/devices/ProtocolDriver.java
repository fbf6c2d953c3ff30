package io.outpost.devices;

import java.util.Map;

/**
 * A device protocol, registered as an OSGi service by its own bundle (whiteboard): installing a driver bundle adds
 * a protocol, stopping it removes it. The configuration maps are those of KubeEdge's {@code devices.kubeedge.io}
 * v1beta1 API: the device's {@code spec.protocol.configData} and a property's {@code visitors.configData}. Values
 * travel as text, as twins carry them. Implementations are thread-safe; a call that cannot complete throws
 * {@link DriverException} with a reason instead of blocking (drivers bound their own I/O).
 */
public interface ProtocolDriver {

  /** The {@code protocolName} this driver serves, e.g. {@code modbus}. */
  String protocol();

  /** Reads one property's current value. */
  String read(Map<String, String> protocol, Map<String, String> visitor) throws DriverException;

  /** Writes one property's desired value. */
  void write(Map<String, String> protocol, Map<String, String> visitor, String value) throws DriverException;
}
