package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static io.outpost.itests.OutpostStack.containersOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.ghgande.j2mod.modbus.procimg.SimpleProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import io.outpost.testing.Ports;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The device module as a feature flag on the built distribution: a data-center node has none of it; {@code
 * feature:install outpost-devices} from the console adds it live (a Modbus TCP device — a real Modbus server in this
 * test — is read and written through the driver), {@code feature:uninstall} removes it again, and the pods running
 * all along are never restarted.
 */
class DeviceFeatureIT extends StackTest {
  private static final int UNIT = 1;

  @Test
  void theDeviceModuleIsInstalledAndRemovedLiveWithoutTouchingPods() throws Exception {
    List<String> names = List.of("dev-1", "dev-2");
    names.forEach(stack::createSleeper);
    Map<String, String> startedBefore = new LinkedHashMap<>();
    for (String name : names) {
      String id = containersOf(stack.awaitRunning(name)).get(0);
      startedBefore.put(id, OutpostStack.startedAt(id));
    }
    assertThat(stack.edge.console("bundle:list -s -t 0")).doesNotContain("io.outpost.devices");

    int port = Ports.free();
    SimpleProcessImage image = new SimpleProcessImage(UNIT);
    image.addRegister(new SimpleRegister(251));
    ModbusSlave slave = ModbusSlaveFactory.createTCPSlave(InetAddress.getLoopbackAddress(), port, 2, false);
    slave.addProcessImage(UNIT, image);
    slave.open();
    try {
      stack.edge.console("feature:install outpost-devices");
      await("modbus driver registered").atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
          assertThat(stack.edge.console("outpost:device-drivers")).contains("modbus", "mqtt"));
      String device = "ip=127.0.0.1,port=" + port + ",slaveID=" + UNIT;
      assertThat(lastLine(stack.edge.console("outpost:device-read modbus " + device
          + " register=HoldingRegister,offset=0"))).isEqualTo("251");
      assertThat(stack.edge.console("outpost:device-write modbus " + device
          + " register=HoldingRegister,offset=0 4242")).contains("Written");
      assertThat(image.getRegister(0).getValue()).isEqualTo(4242);
      assertThat(lastLine(stack.edge.console("outpost:device-read modbus " + device
          + " register=HoldingRegister,offset=0"))).isEqualTo("4242");
      assertThat(stack.edge.console("outpost:device-read modbus " + device + " register=HoldingRegister,offset=9"))
          .contains("Read failed (device_error)");
    } finally {
      ModbusSlaveFactory.close(slave);
    }

    stack.edge.console("feature:uninstall outpost-devices");
    await("device bundles gone").atMost(PATIENCE).untilAsserted(() ->
        assertThat(stack.edge.console("bundle:list -s -t 0")).doesNotContain("io.outpost.devices"));

    for (Map.Entry<String, String> container : startedBefore.entrySet()) {
      assertThat(OutpostStack.startedAt(container.getKey())).as("container %s untouched", container.getKey())
          .isEqualTo(container.getValue());
    }
    for (String name : names) {
      assertThat(stack.pod(name).getStatus().getContainerStatuses().get(0).getRestartCount()).isZero();
    }
    stack.createSleeper("dev-after");
    assertThat(containersOf(stack.awaitRunning("dev-after"))).hasSize(1);
  }

  /** The command's own output: bin/client may print a notice first. */
  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1].strip();
  }
}
