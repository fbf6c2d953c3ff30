package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ConfigMaps, Secrets, the Node object, env sources and events on the wire. */
class KindsTest {
  private final Codec codec = new Codec();

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void roundTripsEveryKind() throws Exception {
    List<Downstream> messages = List.of(
        Downstream.upsertConfigMap(1, 1, new ObjectRef("ConfigMap", "shop", "settings", "u1", "5"),
            new ConfigMapV1(Map.of("mode", "edge"), Map.of("logo", b64("png")))),
        Downstream.upsertSecret(1, 2, new ObjectRef("Secret", "shop", "db", "u2", "6"),
            new SecretV1("Opaque", Map.of("password", b64("s3cret")))),
        Downstream.upsertNode(1, 3, new ObjectRef("Node", null, "edge-1", "u3", "7"),
            new NodeV1(Map.of("site", "042"), List.of(new NodeV1.TaintV1("edge", "true", "NoSchedule")), false)),
        Downstream.delete(1, 4, new ObjectRef("Secret", "shop", "db", "u2", "8")));
    for (Downstream message : messages) {
      assertThat(codec.decode(codec.encode(message), Downstream.class)).isEqualTo(message);
    }
    ConfigMapV1 configMap = messages.get(0).configMap();
    assertThat(configMap.text("mode")).isEqualTo("edge");
    assertThat(configMap.text("logo")).isEqualTo("png");
    assertThat(configMap.text("missing")).isNull();
    assertThat(messages.get(1).secret().text("password")).isEqualTo("s3cret");
  }

  @Test
  void secretValuesNeverAppearInToString() {
    SecretV1 secret = new SecretV1("Opaque", Map.of("password", b64("s3cret")));
    assertThat(secret.toString()).contains("password").doesNotContain(b64("s3cret"));
  }

  @Test
  void rejectsBodiesThatDoNotMatchTheKind() {
    ObjectRef cmRef = new ObjectRef("ConfigMap", "shop", "settings", "u1", "5");
    Downstream pod = CodecTest.samplePod(1);
    assertInvalid(new Downstream(1, 1, 1, Downstream.Op.UPSERT, cmRef, pod.pod(), null, null, null, null, null));
    assertInvalid(new Downstream(1, 1, 1, Downstream.Op.UPSERT, cmRef, null, new ConfigMapV1(Map.of(), null),
        new SecretV1(null, Map.of()), null, null, null));
    assertInvalid(Downstream.upsertConfigMap(1, 1, new ObjectRef("ConfigMap", null, "settings", "u1", "5"),
        new ConfigMapV1(Map.of(), null)));
    assertInvalid(Downstream.delete(1, 1, new ObjectRef("Deployment", "shop", "web", "u1", "5")));
  }

  @Test
  void devicesModelsAndTheirStatusRoundTripAndBadOnesAreRejected() throws Exception {
    ObjectRef deviceRef = new ObjectRef(Downstream.KIND_DEVICE, "plant", "boiler", "d1", "4");
    DeviceV1 device = new DeviceV1("thermostat", "modbus", Map.of("ip", "10.0.0.7", "port", "502"), List.of(
        new DeviceV1.PropertyV1("setpoint", "21", Map.of("register", "HoldingRegister"), 1000, 10000, true)));
    DeviceModelV1 model = new DeviceModelV1("modbus", List.of(new DeviceModelV1.ModelPropertyV1("setpoint", "INT",
        "ReadWrite", "5", "30", "celsius")));
    for (Downstream message : List.of(Downstream.upsertDevice(1, 1, deviceRef, device),
        Downstream.upsertDeviceModel(1, 2, new ObjectRef(Downstream.KIND_DEVICE_MODEL, "plant", "thermostat", "m1",
            "3"), model))) {
      assertThat(codec.decode(codec.encode(message), Downstream.class)).isEqualTo(message);
    }
    DeviceStatusReport status = new DeviceStatusReport(1, "edge-1", deviceRef, DeviceStatusReport.OFFLINE,
        "unreachable", "connection refused", null, List.of(new DeviceStatusReport.TwinV1("setpoint", "20", null,
            "21", null, null)));
    assertThat(codec.decode(codec.encode(status), DeviceStatusReport.class)).isEqualTo(status);

    // A Device without a namespace, a repeated property, a status about a pod or in an unknown state: refused.
    assertInvalid(Downstream.upsertDevice(1, 1, new ObjectRef(Downstream.KIND_DEVICE, null, "boiler", "d1", "4"),
        device));
    assertInvalid(Downstream.upsertDevice(1, 1, deviceRef, new DeviceV1("thermostat", "modbus", null, List.of(
        new DeviceV1.PropertyV1("a", null, null, 0, 0, false), new DeviceV1.PropertyV1("a", null, null, 0, 0,
            false)))));
    assertInvalid(Downstream.upsertDevice(1, 1, deviceRef, new DeviceV1("thermostat", "modbus", Map.of("bad key",
        "x"), null)));
    assertThatThrownBy(() -> codec.decode(codec.encode(new DeviceStatusReport(1, "edge-1", new ObjectRef("Pod", "ns",
        "p", "u", "1"), "online", null, null, null, null)), DeviceStatusReport.class))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("Device");
    assertThatThrownBy(() -> codec.decode(codec.encode(new DeviceStatusReport(1, "edge-1", deviceRef, "exploded",
        null, null, null, null)), DeviceStatusReport.class)).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("exploded");
    // An unknown protocol or type is the node's to report, not the wire's to refuse.
    assertThat(codec.decode(codec.encode(Downstream.upsertDevice(1, 1, deviceRef, new DeviceV1("thermostat",
        "opcua", null, null))), Downstream.class).device().protocol()).isEqualTo("opcua");
  }

  @Test
  void rejectsBadKeysAndValues() {
    ObjectRef ref = new ObjectRef("Secret", "shop", "db", "u2", "6");
    assertInvalid(Downstream.upsertSecret(1, 1, ref, new SecretV1("Opaque", Map.of("password", "not base64!"))));
    assertInvalid(Downstream.upsertSecret(1, 1, ref, new SecretV1("Opaque", Map.of("../etc", b64("x")))));
    assertInvalid(Downstream.upsertConfigMap(1, 1, new ObjectRef("ConfigMap", "shop", "c", "u", "1"),
        new ConfigMapV1(Map.of("a/b", "x"), null)));
  }

  @Test
  void envSourcesNeedExactlyOneSource() {
    PodV1.KeyRefV1 key = new PodV1.KeyRefV1("settings", "mode", null);
    PodV1.EnvVarV1 two = new PodV1.EnvVarV1("MODE", null, new PodV1.EnvSourceV1(key, key, null));
    assertInvalid(podWith(List.of(two), null));
    PodV1.EnvFromV1 none = new PodV1.EnvFromV1("P_", null, null);
    assertInvalid(podWith(null, List.of(none)));
    PodV1.EnvVarV1 field = new PodV1.EnvVarV1("POD", null, new PodV1.EnvSourceV1(null, null, "metadata.name"));
    PodV1.EnvFromV1 fromSecret = new PodV1.EnvFromV1(null, null, new PodV1.ObjectNameV1("db", true));
    assertThat(codec.encode(podWith(List.of(field), List.of(fromSecret)))).isNotEmpty();
  }

  @Test
  void eventsAreValidated() throws Exception {
    ObjectRef pod = new ObjectRef("Pod", "shop", "web", "u1", "5");
    EventReport ok = new EventReport(1, "edge-1", "00000000000000ff", pod, "Normal", "Started", "Started container",
        1, "2026-11-23T10:00:00Z", "2026-11-23T10:00:00Z");
    assertThat(codec.decode(codec.encode(ok), EventReport.class)).isEqualTo(ok);
    EventReport badId = new EventReport(1, "edge-1", "../x", pod, "Normal", "Started", null, 1, "t", "t");
    EventReport badType = new EventReport(1, "edge-1", "00000000000000ff", pod, "Fatal", "Started", null, 1, "t",
        "t");
    EventReport badCount = new EventReport(1, "edge-1", "00000000000000ff", pod, "Normal", "Started", null, 0, "t",
        "t");
    for (EventReport bad : List.of(badId, badType, badCount)) {
      assertThatThrownBy(bad::validate).isInstanceOfSatisfying(ProtocolException.class,
          e -> assertThat(e.reason()).isEqualTo(ProtocolException.Reason.INVALID));
    }
  }

  private Downstream podWith(List<PodV1.EnvVarV1> env, List<PodV1.EnvFromV1> envFrom) {
    PodV1 pod = new PodV1("edge-1", null, null, null, null, List.of(new PodV1.ContainerV1("app", "img", null, null,
        null, null, env, envFrom)));
    return Downstream.upsertPod(1, 1, new ObjectRef("Pod", "shop", "web", "u1", "5"), pod);
  }

  private void assertInvalid(Downstream message) {
    assertThatThrownBy(() -> codec.decode(codec.encode(message), Downstream.class))
        .isInstanceOfSatisfying(ProtocolException.class,
            e -> assertThat(e.reason()).isEqualTo(ProtocolException.Reason.INVALID));
  }

  @Test
  void negativeResourcesAreRejected() {
    String json = """
        {"v":1,"epoch":1,"seq":1,"op":"UPSERT","ref":{"kind":"Pod","namespace":"shop","name":"web","uid":"u",
         "resourceVersion":"3"},"pod":{"nodeName":"edge-1","containers":[{"name":"app","image":"busybox",
         "resources":{"memoryLimitBytes":-1}}]}}""";
    assertThatThrownBy(() -> new Codec().decode(json.getBytes(StandardCharsets.UTF_8), Downstream.class))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("resources.memoryLimitBytes");
  }

  @Test
  void volumePathsThatLeaveTheirVolumeAreRejected() {
    String template = """
        {"v":1,"epoch":1,"seq":1,"op":"UPSERT","ref":{"kind":"Pod","namespace":"shop","name":"web","uid":"u",
         "resourceVersion":"3"},"pod":{"nodeName":"edge-1","containers":[{"name":"app","image":"busybox",
         "volumeMounts":[{"name":"cfg","mountPath":"/etc/app"%s}]}],
         "volumes":[{"name":"cfg","configMap":{"name":"settings","items":[{"key":"a","path":"%s"}]}}]}}""";
    assertThatThrownBy(() -> decode(template.formatted("", "../../etc/passwd")))
        .hasMessageContaining("must not contain '..'");
    assertThatThrownBy(() -> decode(template.formatted("", "/etc/passwd")))
        .hasMessageContaining("must be a relative path");
    assertThatThrownBy(() -> decode(template.formatted(",\"subPath\":\"a/../../x\"", "a")))
        .hasMessageContaining("subPath must not contain '..'");
    assertThatThrownBy(() -> decode(template.formatted("", "a").replace("\"name\":\"cfg\",\"mountPath",
        "\"name\":\"other\",\"mountPath"))).hasMessageContaining("mounts unknown volume 'other'");
    org.assertj.core.api.Assertions.assertThatCode(() -> decode(template.formatted(",\"subPath\":\"a\"", "a")))
        .doesNotThrowAnyException();
  }

  private static Downstream decode(String json) throws ProtocolException {
    return new Codec().decode(json.getBytes(StandardCharsets.UTF_8), Downstream.class);
  }
}
