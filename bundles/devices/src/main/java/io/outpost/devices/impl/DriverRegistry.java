package io.outpost.devices.impl;

import io.outpost.devices.DriverException;
import io.outpost.devices.ProtocolDriver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol drivers present right now (whiteboard: every registered {@link ProtocolDriver}); a driver bundle that
 * starts adds its protocol, one that stops takes it away. An unknown protocol is a {@link DriverException}
 * ({@code unknown_protocol}), never a crash.
 */
@Component(service = DriverRegistry.class, immediate = true)
public final class DriverRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(DriverRegistry.class);
  private final List<ProtocolDriver> drivers = new CopyOnWriteArrayList<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
  void addDriver(ProtocolDriver driver) {
    drivers.add(driver);
    LOG.info("Device protocol driver available: {}", driver.protocol());
    listeners.forEach(Runnable::run);
  }

  void removeDriver(ProtocolDriver driver) {
    drivers.remove(driver);
    LOG.info("Device protocol driver gone: {}", driver.protocol());
    listeners.forEach(Runnable::run);
  }

  /** Runs {@code listener} (which must return at once) whenever a driver comes or goes. */
  void onChange(Runnable listener) {
    listeners.add(listener);
  }

  void removeOnChange(Runnable listener) {
    listeners.remove(listener);
  }

  /** The protocols served, sorted. */
  public List<String> protocols() {
    return drivers.stream().map(ProtocolDriver::protocol).distinct().sorted().toList();
  }

  public Optional<ProtocolDriver> driver(String protocol) {
    return drivers.stream().filter(d -> d.protocol().equals(protocol)).findFirst();
  }

  public String read(String protocol, Map<String, String> config, Map<String, String> visitor)
      throws DriverException {
    return require(protocol).read(config, visitor);
  }

  public void write(String protocol, Map<String, String> config, Map<String, String> visitor, String value)
      throws DriverException {
    require(protocol).write(config, visitor, value);
  }

  private ProtocolDriver require(String protocol) throws DriverException {
    return driver(protocol).orElseThrow(() -> new DriverException("unknown_protocol", "no driver for protocol '"
        + protocol + "' (installed: " + protocols() + ")"));
  }

  /** {@code k=v,k=v} as a map; throws {@link IllegalArgumentException} on anything else. */
  public static Map<String, String> parse(String pairs) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    if (pairs == null || pairs.isBlank()) {
      return map;
    }
    for (String pair : pairs.split(",")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("'" + pair + "' is not key=value");
      }
      map.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return map;
  }
}
