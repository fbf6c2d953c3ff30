package io.outpost.devices;

import java.time.Instant;
import java.util.Map;

/**
 * Whiteboard service: receives the values read from devices as they change (e.g. to publish them northbound in
 * Eclipse Kura's format). Values are typed from the DeviceModel: {@code Long} (INT), {@code Double} (FLOAT, DOUBLE),
 * {@code Boolean} (BOOLEAN), {@code String} otherwise. Called on a device worker thread: implementations return
 * quickly and never throw for a value they cannot deliver (they count and log it).
 */
public interface TelemetrySink {

  /** The properties of one Device whose values changed in one read pass. */
  void changed(String namespace, String device, Instant readAt, Map<String, Object> values);
}
