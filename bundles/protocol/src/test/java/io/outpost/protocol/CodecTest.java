package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodecTest {
  private final Codec codec = new Codec(4096);

  static Downstream samplePod(long seq) {
    PodV1 pod = new PodV1("edge-1", "Always", 30L, null, null, List.of(new PodV1.ContainerV1(
        "app", "localhost/busybox:test", "IfNotPresent", List.of("sleep"), List.of("3600"), null,
        List.of(new PodV1.EnvVarV1("GREETING", "hello")))));
    return Downstream.upsertPod(7, seq, new ObjectRef("Pod", "default", "web", "uid-1", "42"), pod);
  }

  @Test
  void roundTripsADownstreamPod() throws Exception {
    Downstream message = samplePod(3);
    Downstream decoded = codec.decode(codec.encode(message), Downstream.class);
    assertThat(decoded).isEqualTo(message);
    assertThat(new String(codec.encode(message), StandardCharsets.UTF_8)).doesNotContain("null");
  }

  @Test
  void eventFieldPathAndSandboxReadyAreOptionalCompatibleAdditions() throws Exception {
    ObjectRef ref = new ObjectRef("Pod", "default", "web", "uid-1", "42");
    // As an edge built before the fields existed sends them: decoded, the new fields null.
    EventReport old = codec.decode(("{\"v\":1,\"node\":\"edge-1\",\"id\":\"00000000000000a1\",\"ref\":"
        + "{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"web\",\"uid\":\"uid-1\",\"resourceVersion\":"
        + "\"42\"},\"type\":\"Normal\",\"reason\":\"Started\",\"count\":1,\"firstTimestamp\":\"t\","
        + "\"lastTimestamp\":\"t\"}").getBytes(StandardCharsets.UTF_8), EventReport.class);
    assertThat(old.fieldPath()).isNull();
    PodStatusReport oldStatus = codec.decode(codec.encode(new PodStatusReport(1, "edge-1", ref, "Running", null,
        null, null, null, null, List.of(), false)), PodStatusReport.class);
    assertThat(oldStatus.sandboxReady()).isNull();
    assertThat(new String(codec.encode(oldStatus), StandardCharsets.UTF_8)).doesNotContain("sandboxReady");

    EventReport event = new EventReport(1, "edge-1", "00000000000000a1", ref, "Normal", "Started",
        "Started container init", 2, "t1", "t2", EventReport.containerPath("init", true));
    assertThat(codec.decode(codec.encode(event), EventReport.class)).isEqualTo(event);
    assertThat(event.fieldPath()).isEqualTo("spec.initContainers{init}");
    EventReport bad = new EventReport(1, "edge-1", "00000000000000a1", ref, "Normal", "Started", null, 1, "t", "t",
        "metadata.name");
    assertThatThrownBy(() -> codec.decode(codec.encode(bad), EventReport.class))
        .isInstanceOfSatisfying(ProtocolException.class,
            e -> assertThat(e.reason()).isEqualTo(ProtocolException.Reason.INVALID));
  }

  @Test
  void rejectsOversizedPayloadBeforeParsing() {
    byte[] big = new byte[4097];
    assertThatThrownBy(() -> codec.decode(big, Downstream.class))
        .isInstanceOfSatisfying(ProtocolException.class,
            e -> assertThat(e.reason()).isEqualTo(ProtocolException.Reason.OVERSIZED));
  }

  @Test
  void rejectsMalformedJson() {
    assertReason("{\"v\":1, \"seq\":", ProtocolException.Reason.MALFORMED);
    assertReason("[1,2]", ProtocolException.Reason.MALFORMED);
    assertReason("{\"seq\":1}", ProtocolException.Reason.MALFORMED);
    assertReason("{\"v\":1,\"epoch\":1,\"seq\":1,\"op\":\"EXPLODE\"}", ProtocolException.Reason.MALFORMED);
    assertReason("{\"v\":1} trailing", ProtocolException.Reason.MALFORMED);
  }

  @Test
  void rejectsUnknownVersionEvenIfShapeDiffers() {
    assertReason("{\"v\":2,\"whatever\":[1]}", ProtocolException.Reason.UNSUPPORTED_VERSION);
  }

  @Test
  void rejectsMissingFields() {
    assertReason("{\"v\":1,\"epoch\":1,\"seq\":1,\"op\":\"UPSERT\"}", ProtocolException.Reason.INVALID);
    assertReason("{\"v\":1,\"epoch\":1,\"seq\":0,\"op\":\"SYNC_END\",\"correlationId\":\"c\"}",
        ProtocolException.Reason.INVALID);
    assertReason("{\"v\":1,\"epoch\":1,\"seq\":1,\"op\":\"UPSERT\",\"ref\":{\"kind\":\"Pod\",\"name\":\"a\","
        + "\"uid\":\"u\",\"resourceVersion\":\"1\"},\"pod\":{\"nodeName\":\"n\",\"containers\":[]}}",
        ProtocolException.Reason.INVALID);
  }

  @Test
  void pullSecretNamesRoundTripAndMustBeObjectNames() throws Exception {
    PodV1.ContainerV1 app = new PodV1.ContainerV1("app", "reg.example.com/app", null, null, null, null, null);
    ObjectRef ref = new ObjectRef("Pod", "default", "web", "uid-1", "42");
    Downstream good = Downstream.upsertPod(7, 1, ref, new PodV1("edge-1", "Always", 30L, null, null,
        List.of(app), null, null, List.of("regcred")));
    assertThat(codec.decode(codec.encode(good), Downstream.class).pod().imagePullSecrets())
        .containsExactly("regcred");
    for (String bad : List.of("../etc", "Has Upper", "a/b", "")) {
      Downstream message = Downstream.upsertPod(7, 1, ref, new PodV1("edge-1", "Always", 30L, null, null,
          List.of(app), null, null, List.of(bad)));
      assertReason(new String(codec.encode(message), StandardCharsets.UTF_8),
          ProtocolException.Reason.INVALID);
    }
  }

  @Test
  void hostnameFieldsRoundTripAndArePresentOnlyWhenSet() throws Exception {
    PodV1.ContainerV1 app = new PodV1.ContainerV1("app", "reg.example.com/app", null, null, null, null, null);
    ObjectRef ref = new ObjectRef("Pod", "default", "db-0", "uid-1", "42");
    PodV1 named = new PodV1("edge-1", "Always", 30L, null, null, List.of(app), null, null, null, "db-0", "db",
        true);
    Downstream message = Downstream.upsertPod(7, 1, ref, named);
    String json = new String(codec.encode(message), StandardCharsets.UTF_8);
    assertThat(json).contains("\"hostname\":\"db-0\"", "\"subdomain\":\"db\"", "\"setHostnameAsFQDN\":true");
    PodV1 decoded = codec.decode(codec.encode(message), Downstream.class).pod();
    assertThat(decoded).isEqualTo(named);
    assertThat(decoded.hostnameAsFQDN()).isTrue();

    // A pod without them encodes as before (same bytes, same content hash), and an older sender's pod decodes
    // with none set.
    PodV1 plain = new PodV1("edge-1", "Always", 30L, null, null, List.of(app), null, null, null);
    String plainJson = new String(codec.encode(Downstream.upsertPod(7, 1, ref, plain)), StandardCharsets.UTF_8);
    assertThat(plainJson).doesNotContain("hostname", "subdomain", "FQDN");
    PodV1 old = codec.decode(plainJson.getBytes(StandardCharsets.UTF_8), Downstream.class).pod();
    assertThat(old.hostname()).isNull();
    assertThat(old.subdomain()).isNull();
    assertThat(old.hostnameAsFQDN()).isFalse();
    assertThat(old.withRestartPolicy("Never")).isEqualTo(new PodV1("edge-1", "Never", 30L, null, null,
        List.of(app), null, null, null));
  }

  @Test
  void rejectsDeeplyNestedInput() {
    String nested = "{\"v\":1,\"x\":" + "[".repeat(100) + "]".repeat(100) + "}";
    assertReason(nested, ProtocolException.Reason.MALFORMED);
  }

  @Test
  void ignoresUnknownFieldsWithinAVersion() throws Exception {
    String json = "{\"v\":1,\"epoch\":1,\"seq\":5,\"op\":\"SYNC_END\",\"correlationId\":\"c1\",\"future\":true}";
    Downstream decoded = codec.decode(json.getBytes(StandardCharsets.UTF_8), Downstream.class);
    assertThat(decoded.op()).isEqualTo(Downstream.Op.SYNC_END);
    assertThat(decoded.seq()).isEqualTo(5);
  }

  @Test
  void refusesToEncodeBeyondTheLimit() {
    PodV1.EnvVarV1 huge = new PodV1.EnvVarV1("BIG", "x".repeat(5000));
    PodV1 pod = new PodV1("n", null, null, null, null,
        List.of(new PodV1.ContainerV1("c", "i", null, null, null, null, List.of(huge))));
    Downstream message = Downstream.upsertPod(1, 1, new ObjectRef("Pod", "ns", "p", "u", "1"), pod);
    assertThatThrownBy(() -> codec.encode(message)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limit 4096");
  }

  private void assertReason(String json, ProtocolException.Reason reason) {
    assertThatThrownBy(() -> codec.decode(json.getBytes(StandardCharsets.UTF_8), Downstream.class))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }
}
