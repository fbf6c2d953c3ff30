package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.kube.Devices;
import io.outpost.protocol.Codec;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.Topics;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KubeEdge Devices through the bridge: the shipped CRDs are applied as an operator would, a Device and its
 * DeviceModel reach exactly the node the Device is bound to (KubeEdge manifests, unchanged), a re-bound Device
 * moves, and what the node reports lands in the Device's status — only from that node.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeDevicesTest {
  static KubernetesClient client;

  @TempDir Path dir;
  private BridgeHarness h;

  @BeforeEach
  void start() throws Exception {
    try (InputStream crds = Files.newInputStream(Path.of("../deploy/kubernetes/05-device-crds.yaml"))) {
      for (HasMetadata crd : client.load(crds).items()) {
        client.resource(crd).createOr(c -> c.update());
      }
    }
    h = BridgeHarness.start(dir, client);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private GenericKubernetesResource apply(String yaml) {
    HasMetadata loaded = client.load(new java.io.ByteArrayInputStream(yaml.getBytes(java.nio.charset.StandardCharsets
        .UTF_8))).items().get(0);
    return (GenericKubernetesResource) client.resource(loaded).inNamespace("plant").createOr(c -> c.update());
  }

  private static String model() {
    return """
        apiVersion: devices.kubeedge.io/v1beta1
        kind: DeviceModel
        metadata: {name: thermostat, namespace: plant}
        spec:
          protocol: modbus
          properties:
            - {name: temperature, type: INT, accessMode: ReadOnly, unit: celsius}
            - {name: setpoint, type: INT, accessMode: ReadWrite, minimum: "5", maximum: "30"}
        """;
  }

  private static String device(String name, String node, String desired) {
    return """
        apiVersion: devices.kubeedge.io/v1beta1
        kind: Device
        metadata: {name: %s, namespace: plant}
        spec:
          deviceModelRef: {name: thermostat}
          nodeName: %s
          protocol:
            protocolName: modbus
            configData: {ip: 192.0.2.10, port: 502, slaveID: 1}
          properties:
            - name: temperature
              collectCycle: 2000000000
              reportCycle: 10000000000
              reportToCloud: true
              visitors:
                protocolName: modbus
                configData: {register: InputRegister, offset: 0, limit: 1, scale: 0.1}
            - name: setpoint
              desired: {value: "%s"}
              reportToCloud: true
              visitors:
                protocolName: modbus
                configData: {register: HoldingRegister, offset: 3, limit: 1}
        """.formatted(name, node, desired);
  }

  private static Predicate<Downstream> is(Downstream.Op op, String kind, String name) {
    return m -> m.op() == op && m.ref() != null && kind.equals(m.ref().kind()) && name.equals(m.ref().name());
  }

  @Test
  void aDeviceAndItsModelGoOnlyToTheBoundNodeAndFollowARebinding() throws Exception {
    FakeEdge a = h.registeredEdge("edge-dev-a");
    FakeEdge b = h.registeredEdge("edge-dev-b");
    apply(model());
    apply(device("boiler", "edge-dev-a", "21"));

    Downstream model = a.awaitMessage("DeviceModel", is(Downstream.Op.UPSERT, "DeviceModel", "thermostat"));
    Downstream device = a.awaitMessage("Device", is(Downstream.Op.UPSERT, "Device", "boiler"));
    assertThat(model.seq()).as("the model before the device that uses it").isLessThan(device.seq());
    assertThat(model.deviceModel().protocol()).isEqualTo("modbus");
    assertThat(model.deviceModel().properties()).extracting(p -> p.name() + ":" + p.type() + ":" + p.accessMode()
        + ":" + p.minimum() + ".." + p.maximum()).containsExactly("temperature:INT:ReadOnly:null..null",
        "setpoint:INT:ReadWrite:5..30");
    assertThat(device.device().protocol()).isEqualTo("modbus");
    assertThat(device.device().protocolConfig()).containsEntry("ip", "192.0.2.10").containsEntry("port", "502")
        .containsEntry("slaveID", "1");
    assertThat(device.device().properties()).extracting(p -> p.name() + "=" + p.desired() + "@"
        + p.collectCycleMillis() + "/" + p.reportCycleMillis()).containsExactly("temperature=null@2000/10000",
        "setpoint=21@0/0");
    assertThat(device.device().properties().get(0).visitorConfig()).containsEntry("scale", "0.1")
        .containsEntry("register", "InputRegister");

    // A new desired value reaches the node as an update of the Device.
    apply(device("boiler", "edge-dev-a", "23"));
    a.awaitMessage("desired 23", m -> is(Downstream.Op.UPSERT, "Device", "boiler").test(m)
        && "23".equals(m.device().properties().get(1).desired()));

    // Re-bound to b: b gets it with its model, a drops both (the Device first).
    apply(device("boiler", "edge-dev-b", "23"));
    b.awaitMessage("Device on b", is(Downstream.Op.UPSERT, "Device", "boiler"));
    b.awaitMessage("DeviceModel on b", is(Downstream.Op.UPSERT, "DeviceModel", "thermostat"));
    Downstream gone = a.awaitMessage("Device deleted on a", is(Downstream.Op.DELETE, "Device", "boiler"));
    Downstream modelGone = a.awaitMessage("model deleted on a", is(Downstream.Op.DELETE, "DeviceModel",
        "thermostat"));
    assertThat(gone.seq()).isLessThan(modelGone.seq());
  }

  @Test
  void reportedTwinsLandInTheDeviceStatusOnlyFromTheBoundNode() throws Exception {
    FakeEdge a = h.registeredEdge("edge-dev-c");
    FakeEdge b = h.registeredEdge("edge-dev-d");
    apply(model());
    GenericKubernetesResource boiler = apply(device("boiler", "edge-dev-c", "21"));
    a.awaitMessage("Device", is(Downstream.Op.UPSERT, "Device", "boiler"));
    ObjectRef ref = new ObjectRef(Downstream.KIND_DEVICE, "plant", "boiler", boiler.getMetadata().getUid(),
        boiler.getMetadata().getResourceVersion());

    // A node the Device is not bound to cannot write its status.
    long refused = h.rejected("not_bound_to_node");
    b.publish(Topics.Up.DEVICE, new Codec().encode(report("edge-dev-d", ref, "999")));
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("not_bound_to_node") == refused + 1);

    a.publish(Topics.Up.DEVICE, new Codec().encode(report("edge-dev-c", ref, "215")));
    await("status written").atMost(FakeEdge.TIMEOUT).untilAsserted(() -> {
      Map<String, Object> status = status("boiler");
      assertThat(status).containsEntry("state", "online");
      assertThat(status.get("twins")).asList().hasSize(2);
      assertThat(status.get("twins").toString()).contains("propertyName=temperature",
          "reported={value=215, metadata={timestamp=2026-12-02T10:00:00Z}}", "propertyName=setpoint",
          "observedDesired={value=21}");
    });
    assertThat(status("boiler").toString()).doesNotContain("999");

    // The same report again costs no write.
    long writes = h.kubeWrites("devices/status");
    a.publish(Topics.Up.DEVICE, new Codec().encode(report("edge-dev-c", ref, "215")));
    a.publish(Topics.Up.DEVICE, new Codec().encode(report("edge-dev-c", ref, "216")));
    await().atMost(FakeEdge.TIMEOUT).untilAsserted(() -> assertThat(status("boiler").get("twins").toString())
        .contains("value=216"));
    assertThat(h.kubeWrites("devices/status")).isEqualTo(writes + 1);

    // A report for a Device that does not exist (or another incarnation of it) is refused.
    long unknown = h.rejected("unknown_device");
    a.publish(Topics.Up.DEVICE, new Codec().encode(report("edge-dev-c", new ObjectRef(Downstream.KIND_DEVICE,
        "plant", "boiler", "not-its-uid", "1"), "1")));
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("unknown_device") == unknown + 1);
  }

  private static DeviceStatusReport report(String node, ObjectRef ref, String temperature) {
    return new DeviceStatusReport(Codec.VERSION, node, ref, DeviceStatusReport.ONLINE, null, null,
        "2026-12-02T09:59:00Z", List.of(
            new DeviceStatusReport.TwinV1("temperature", temperature, "2026-12-02T10:00:00Z", null, null, null),
            new DeviceStatusReport.TwinV1("setpoint", "21", null, "21", null, null)));
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> status(String name) {
    GenericKubernetesResource device = client.genericKubernetesResources(Devices.DEVICES)
        .inNamespace("plant").withName(name).get();
    Object status = device.getAdditionalProperties().get("status");
    return status == null ? Map.of() : (Map<String, Object>) status;
  }
}
