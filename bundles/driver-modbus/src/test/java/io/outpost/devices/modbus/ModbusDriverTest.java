package io.outpost.devices.modbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.ghgande.j2mod.modbus.procimg.SimpleDigitalOut;
import com.ghgande.j2mod.modbus.procimg.SimpleInputRegister;
import com.ghgande.j2mod.modbus.procimg.SimpleProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import io.outpost.devices.DriverException;
import io.outpost.testing.Ports;
import java.net.InetAddress;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The driver against a real Modbus TCP server (j2mod's slave) on an ephemeral loopback port. */
class ModbusDriverTest {
  private static final int UNIT = 7;
  private final ModbusDriver driver = new ModbusDriver();
  private ModbusSlave slave;
  private SimpleProcessImage image;
  private int port;

  @BeforeEach
  void start() throws Exception {
    port = Ports.free();
    image = new SimpleProcessImage(UNIT);
    image.addRegister(new SimpleRegister(251));       // holding 0
    image.addRegister(new SimpleRegister(0x0001));    // holding 1: high word
    image.addRegister(new SimpleRegister(0x86A0));    // holding 2: low word → 100000
    image.addInputRegister(new SimpleInputRegister(215)); // input 0: 21.5 with scale 0.1
    image.addDigitalOut(new SimpleDigitalOut(false)); // coil 0
    slave = ModbusSlaveFactory.createTCPSlave(InetAddress.getLoopbackAddress(), port, 2, false);
    slave.addProcessImage(UNIT, image);
    slave.open();
  }

  @AfterEach
  void stop() {
    ModbusSlaveFactory.close(slave);
  }

  private Map<String, String> device() {
    return Map.of("ip", "127.0.0.1", "port", Integer.toString(port), "slaveID", Integer.toString(UNIT));
  }

  @Test
  void readsRegistersCoilsAndScaledAndTwoRegisterValues() throws Exception {
    assertThat(driver.read(device(), Map.of("register", "HoldingRegister", "offset", "0"))).isEqualTo("251");
    assertThat(driver.read(device(), Map.of("register", "HoldingRegister", "offset", "1", "limit", "2")))
        .isEqualTo("100000");
    assertThat(driver.read(device(), Map.of("register", "InputRegister", "offset", "0", "scale", "0.1")))
        .isEqualTo("21.5");
    assertThat(driver.read(device(), Map.of("register", "CoilRegister", "offset", "0"))).isEqualTo("0");
  }

  @Test
  void writesReachTheDevice() throws Exception {
    driver.write(device(), Map.of("register", "HoldingRegister", "offset", "0"), "1234");
    driver.write(device(), Map.of("register", "HoldingRegister", "offset", "1", "limit", "2"), "70000");
    driver.write(device(), Map.of("register", "CoilRegister", "offset", "0"), "1");

    assertThat(image.getRegister(0).getValue()).isEqualTo(1234);
    assertThat((image.getRegister(1).toUnsignedShort() << 16) | image.getRegister(2).toUnsignedShort())
        .isEqualTo(70000);
    assertThat(image.getDigitalOut(0).isSet()).isTrue();
  }

  @Test
  void badConfigurationOutOfRangeValuesAndUnreachableDevicesAreReasonsNotCrashes() {
    assertReason(() -> driver.read(Map.of("port", "502"), Map.of()), "invalid_config");
    assertReason(() -> driver.read(device(), Map.of("register", "Bogus")), "invalid_config");
    assertReason(() -> driver.read(device(), Map.of("offset", "70000")), "invalid_config");
    assertReason(() -> driver.write(device(), Map.of("register", "HoldingRegister"), "65536"), "out_of_range");
    assertReason(() -> driver.write(device(), Map.of("register", "HoldingRegister"), "-1"), "out_of_range");
    assertReason(() -> driver.write(device(), Map.of("register", "HoldingRegister"), "warm"), "out_of_range");
    assertReason(() -> driver.write(device(), Map.of("register", "InputRegister"), "1"), "invalid_config");
    assertReason(() -> driver.read(device(), Map.of("register", "HoldingRegister", "offset", "40")), "device_error");
    int closed = Ports.free();
    assertReason(() -> driver.read(Map.of("ip", "127.0.0.1", "port", Integer.toString(closed), "timeout", "500"),
        Map.of()), "unreachable");
  }

  @Test
  void aDeviceThatAcceptsButNeverAnswersIsUnreachableAfterOneTimeout() throws Exception {
    // A powered-down device behind a switch that still completes the TCP handshake: nothing ever answers.
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      assertReason(() -> driver.read(Map.of("ip", "127.0.0.1", "port", Integer.toString(silent.getLocalPort()),
          "timeout", "300"), Map.of("register", "HoldingRegister")), "unreachable");
    }
  }

  private interface Call {
    void run() throws DriverException;
  }

  private static void assertReason(Call call, String reason) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(DriverException.class,
        e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
  }
}
