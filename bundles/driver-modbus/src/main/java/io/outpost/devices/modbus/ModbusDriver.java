package io.outpost.devices.modbus;

import com.ghgande.j2mod.modbus.ModbusException;
import com.ghgande.j2mod.modbus.ModbusIOException;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.procimg.InputRegister;
import com.ghgande.j2mod.modbus.procimg.Register;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import io.outpost.devices.DriverException;
import io.outpost.devices.ProtocolDriver;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * Modbus TCP, configured as KubeEdge's Modbus mapper is: protocol {@code configData} {@code ip}, {@code port}
 * (default 502), {@code slaveID} (default 1), {@code timeout} ms (default 3000); property visitor {@code register}
 * ({@code HoldingRegister}, {@code InputRegister}, {@code CoilRegister}, {@code DiscreteInputRegister}), {@code
 * offset}, {@code limit} (1 or 2 registers; 2 = a 32-bit value, {@code isRegisterSwap} for low word first),
 * {@code scale} (the value is the raw number times scale). Every call opens its own connection with a timeout, so a
 * device that does not answer fails that call only.
 */
@Component(service = ProtocolDriver.class, immediate = true)
public final class ModbusDriver implements ProtocolDriver {
  public static final String PROTOCOL = "modbus";

  @Override
  public String protocol() {
    return PROTOCOL;
  }

  /** A validated configuration; invalid ones are {@code invalid_config} before any I/O. */
  record Target(String host, int port, int unit, int timeoutMillis, String register, int offset, int limit,
      double scale, boolean registerSwap) {

    static Target of(Map<String, String> protocol, Map<String, String> visitor) throws DriverException {
      String host = protocol.get("ip");
      if (host == null || host.isBlank()) {
        throw invalid("protocol configData needs ip");
      }
      String register = visitor.getOrDefault("register", "HoldingRegister");
      if (!java.util.Set.of("HoldingRegister", "InputRegister", "CoilRegister", "DiscreteInputRegister")
          .contains(register)) {
        throw invalid("unknown register type '" + register + "'");
      }
      int limit = number(visitor, "limit", 1, 1, 2);
      if (limit == 2 && (register.equals("CoilRegister") || register.equals("DiscreteInputRegister"))) {
        throw invalid("limit 2 applies to registers, not to " + register);
      }
      double scale;
      try {
        scale = Double.parseDouble(visitor.getOrDefault("scale", "1"));
      } catch (NumberFormatException e) {
        throw invalid("scale must be a number, was '" + visitor.get("scale") + "'");
      }
      if (scale == 0 || Double.isNaN(scale) || Double.isInfinite(scale)) {
        throw invalid("scale must be a finite number other than 0");
      }
      return new Target(host.trim(), number(protocol, "port", 502, 1, 65535), number(protocol, "slaveID", 1, 0, 255),
          number(protocol, "timeout", 3000, 100, 60_000), register, number(visitor, "offset", 0, 0, 65535), limit,
          scale, Boolean.parseBoolean(visitor.getOrDefault("isRegisterSwap", "false")));
    }

    private static int number(Map<String, String> map, String key, int fallback, int min, int max)
        throws DriverException {
      String value = map.get(key);
      if (value == null || value.isBlank()) {
        return fallback;
      }
      try {
        int parsed = Integer.parseInt(value.trim());
        if (parsed < min || parsed > max) {
          throw invalid(key + " must be between " + min + " and " + max + ", was " + value);
        }
        return parsed;
      } catch (NumberFormatException e) {
        throw invalid(key + " must be a number, was '" + value + "'");
      }
    }

    private static DriverException invalid(String message) {
      return new DriverException("invalid_config", message);
    }
  }

  @Override
  public String read(Map<String, String> protocol, Map<String, String> visitor) throws DriverException {
    Target target = Target.of(protocol, visitor);
    return call(target, master -> {
      long raw = switch (target.register()) {
        case "CoilRegister" -> master.readCoils(target.unit(), target.offset(), 1).getBit(0) ? 1 : 0;
        case "DiscreteInputRegister" -> master.readInputDiscretes(target.unit(), target.offset(), 1).getBit(0) ? 1
            : 0;
        case "InputRegister" -> combine(master.readInputRegisters(target.unit(), target.offset(), target.limit()),
            target);
        default -> combine(master.readMultipleRegisters(target.unit(), target.offset(), target.limit()), target);
      };
      return format(raw * target.scale());
    });
  }

  @Override
  public void write(Map<String, String> protocol, Map<String, String> visitor, String value) throws DriverException {
    Target target = Target.of(protocol, visitor);
    double number;
    try {
      number = Double.parseDouble(value.trim());
    } catch (NumberFormatException | NullPointerException e) {
      throw new DriverException("out_of_range", "'" + value + "' is not a number");
    }
    long raw = Math.round(number / target.scale());
    switch (target.register()) {
      case "CoilRegister" -> {
        if (raw != 0 && raw != 1) {
          throw new DriverException("out_of_range", "a coil takes 0 or 1, not " + value);
        }
        call(target, master -> master.writeCoil(target.unit(), target.offset(), raw == 1));
      }
      case "HoldingRegister" -> {
        long max = target.limit() == 1 ? 0xFFFFL : 0xFFFF_FFFFL;
        if (raw < 0 || raw > max) {
          throw new DriverException("out_of_range", value + " is outside 0.." + format(max * target.scale())
              + " for " + target.limit() + " register(s) with scale " + format(target.scale()));
        }
        call(target, master -> target.limit() == 1
            ? master.writeSingleRegister(target.unit(), target.offset(), new SimpleRegister((int) raw))
            : master.writeMultipleRegisters(target.unit(), target.offset(), split(raw, target)));
      }
      default -> throw new DriverException("invalid_config", target.register() + " is read-only");
    }
  }

  /** One or two registers as an unsigned number. */
  private static long combine(InputRegister[] registers, Target target) {
    if (registers.length == 1) {
      return registers[0].toUnsignedShort();
    }
    int high = registers[target.registerSwap() ? 1 : 0].toUnsignedShort();
    int low = registers[target.registerSwap() ? 0 : 1].toUnsignedShort();
    return ((long) high << 16) | low;
  }

  private static Register[] split(long raw, Target target) {
    Register high = new SimpleRegister((int) (raw >>> 16));
    Register low = new SimpleRegister((int) (raw & 0xFFFF));
    return target.registerSwap() ? new Register[] {low, high} : new Register[] {high, low};
  }

  static String format(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
        : Double.toString(value);
  }

  private interface Operation<T> {
    T apply(ModbusTCPMaster master) throws ModbusException;
  }

  private static <T> T call(Target target, Operation<T> operation) throws DriverException {
    ModbusTCPMaster master = new ModbusTCPMaster(target.host(), target.port(), target.timeoutMillis(), false);
    try {
      master.connect();
    } catch (Exception e) {
      throw new DriverException("unreachable", "cannot connect to " + target.host() + ":" + target.port() + ": "
          + e.getMessage(), e);
    }
    // One attempt per call, bounded by the timeout: j2mod's own retries (5, with back-off sleeps) would hold a
    // worker for several timeouts; the twin engine retries an unreachable device itself, with back-off.
    master.setRetries(0);
    try {
      return operation.apply(master);
    } catch (ModbusIOException e) {
      // No answer within the timeout, or the connection broke: the device is not reachable (retried with back-off).
      throw new DriverException("unreachable", "no answer from " + target.host() + ":" + target.port() + " (unit "
          + target.unit() + ") within " + target.timeoutMillis() + " ms: " + e.getMessage(), e);
    } catch (ModbusException e) {
      throw new DriverException("device_error", "Modbus " + target.register() + " at " + target.offset()
          + " on unit " + target.unit() + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new DriverException("device_error", e.toString(), e);
    } finally {
      master.disconnect();
    }
  }
}
