package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static io.outpost.itests.OutpostStack.containersOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.ghgande.j2mod.modbus.procimg.SimpleProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.outpost.testing.Ports;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The device module as a feature flag on the built distribution, with KubeEdge Devices: a data-center node has
 * none of it; {@code feature:install outpost-devices} from the console adds it live; a Device bound to the node —
 * a real Modbus TCP server in this test — has its register read and its reported twin appears in Kubernetes, a new
 * desired value changes the register, values read while the node is cut off reach Kubernetes when the link returns,
 * bad Devices get a status with the reason; {@code feature:uninstall} removes
 * the module, a reinstall continues from the store, and the pods running all along are never restarted.
 */
class DeviceFeatureIT extends StackTest {
  private static final int UNIT = 1;

  @Test
  void theDeviceModuleIsInstalledAndRemovedLiveAndServesKubeEdgeDevices() throws Exception {
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
    image.addRegister(new SimpleRegister(251)); // 0: temperature, in tenths
    image.addRegister(new SimpleRegister(0)); // 1: setpoint
    ModbusSlave slave = ModbusSlaveFactory.createTCPSlave(InetAddress.getLoopbackAddress(), port, 4, false);
    slave.addProcessImage(UNIT, image);
    slave.open();
    try {
      stack.edge.console("feature:install outpost-devices");
      await("modbus driver registered").atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
          assertThat(stack.edge.console("outpost:device-drivers")).contains("modbus", "mqtt"));
      String device = "ip=127.0.0.1,port=" + port + ",slaveID=" + UNIT;
      assertThat(lastLine(stack.edge.console("outpost:device-read modbus " + device
          + " register=HoldingRegister,offset=0"))).isEqualTo("251");

      stack.apply(MODEL);
      stack.apply(device("boiler", port, "1500"));
      await("reported twin in Kubernetes").atMost(PATIENCE).untilAsserted(() -> {
        Map<String, Object> status = status("boiler");
        assertThat(status).containsEntry("state", "online");
        assertThat(String.valueOf(status.get("twins"))).contains("propertyName=temperature", "value=25.1",
            "observedDesired={value=1500}");
      });
      assertThat(image.getRegister(1).getValue()).isEqualTo(1500);

      stack.apply(device("boiler", port, "2500"));
      await("new desired value written").atMost(PATIENCE).until(() -> image.getRegister(1).getValue() == 2500);
      image.getRegister(0).setValue(263);
      await("reported twin follows the device").atMost(PATIENCE).untilAsserted(() ->
          assertThat(twins("boiler")).contains("value=26.3", "value=2500"));

      // Cut off from the cloud, the node keeps reading its device; the newest value reaches Kubernetes when the
      // link returns, from the device status outbox (the broker comes back having lost every queued message).
      stack.broker.stop();
      image.getRegister(0).setValue(299);
      await("read on the node while cut off").atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
          assertThat(stack.edge.console("outpost:devices")).contains("temperature=29.9"));
      assertThat(twins("boiler")).doesNotContain("29.9");
      stack.broker.restart(true);
      await("the value read offline in Kubernetes").atMost(PATIENCE).untilAsserted(() ->
          assertThat(twins("boiler")).contains("value=29.9"));

      // Bad input: each bad Device gets a status with the reason; the good one is not held up.
      stack.apply(device("alien", port, "1").replace("protocolName: modbus", "protocolName: opcua"));
      stack.apply(device("dead", Ports.free(), "1"));
      stack.apply(device("greedy", port, "9000"));
      await("statuses of the bad devices").atMost(PATIENCE).untilAsserted(() -> {
        assertThat(status("alien")).containsEntry("reason", "unknown_protocol");
        assertThat(status("dead")).containsEntry("state", "offline").containsEntry("reason", "unreachable");
        assertThat(twins("greedy")).contains("reason=out_of_range");
      });
      assertThat(image.getRegister(1).getValue()).as("9000 is beyond the model's maximum").isEqualTo(2500);
      image.getRegister(0).setValue(270);
      await().atMost(PATIENCE).untilAsserted(() ->
          assertThat(twins("boiler")).contains("value=27"));

      stack.edge.console("feature:uninstall outpost-devices");
      await("device bundles gone").atMost(PATIENCE).untilAsserted(() ->
          assertThat(stack.edge.console("bundle:list -s -t 0")).doesNotContain("io.outpost.devices"));

      // Reinstalled, the module continues from the store: the desired value it wrote is not written again (the
      // register set on the device meanwhile stays), and reading goes on.
      image.getRegister(1).setValue(2400);
      image.getRegister(0).setValue(281);
      stack.edge.console("feature:install outpost-devices");
      await("reading resumed").atMost(PATIENCE).untilAsserted(() ->
          assertThat(twins("boiler")).contains("value=28.1", "value=2400",
              "observedDesired={value=2500}"));
      assertThat(image.getRegister(1).getValue()).isEqualTo(2400);
      stack.edge.console("feature:uninstall outpost-devices");
    } finally {
      ModbusSlaveFactory.close(slave);
    }

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

  private static final String MODEL = """
      apiVersion: devices.kubeedge.io/v1beta1
      kind: DeviceModel
      metadata: {name: thermostat, namespace: default}
      spec:
        protocol: modbus
        properties:
          - {name: temperature, type: FLOAT, accessMode: ReadOnly, unit: celsius}
          - {name: setpoint, type: INT, accessMode: ReadWrite, minimum: "0", maximum: "5000"}
      """;

  /** A KubeEdge v1beta1 Device on this test's Modbus server, as a KubeEdge user writes it. */
  private String device(String name, int port, String setpoint) {
    return """
        apiVersion: devices.kubeedge.io/v1beta1
        kind: Device
        metadata: {name: %s, namespace: default}
        spec:
          deviceModelRef: {name: thermostat}
          nodeName: %s
          protocol:
            protocolName: modbus
            configData: {ip: 127.0.0.1, port: %d, slaveID: %d, timeout: 1000}
          properties:
            - name: temperature
              collectCycle: 300000000
              reportCycle: 300000000
              reportToCloud: true
              visitors:
                protocolName: modbus
                configData: {register: HoldingRegister, offset: 0, limit: 1, scale: 0.1}
            - name: setpoint
              collectCycle: 300000000
              reportCycle: 300000000
              reportToCloud: true
              desired: {value: "%s"}
              visitors:
                protocolName: modbus
                configData: {register: HoldingRegister, offset: 1, limit: 1}
        """.formatted(name, stack.node, port, UNIT, setpoint);
  }

  /**
   * The Device's twins as text, "null" while it has none: the mock API server drops the status when the Device is
   * replaced (a real one keeps it, as the status subresource is separate), until the node's next report.
   */
  private String twins(String name) {
    return String.valueOf(status(name).get("twins"));
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> status(String name) {
    GenericKubernetesResource device = stack.client.genericKubernetesResources("devices.kubeedge.io/v1beta1",
        "Device").inNamespace("default").withName(name).get();
    Object status = device == null ? null : device.getAdditionalProperties().get("status");
    return status == null ? Map.of() : (Map<String, Object>) status;
  }

  /** The command's own output: bin/client may print a notice first. */
  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1].strip();
  }
}
