package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code emptyDir.sizeLimitBytes}: an optional field added compatibly in v1 (docs/protocol.md §12). */
class EmptyDirSizeLimitTest {
  private final Codec codec = new Codec(4096);
  private final ObjectRef ref = new ObjectRef("Pod", "default", "web", "uid-1", "42");
  private final PodV1.ContainerV1 app = new PodV1.ContainerV1("app", "localhost/busybox:test", null, null, null,
      null, null);

  private Downstream pod(VolumeV1.EmptyDirV1 emptyDir) {
    return Downstream.upsertPod(7, 1, ref, new PodV1("edge-1", "Always", 30L, null, null, List.of(app), null,
        List.of(new VolumeV1("scratch", emptyDir, null, null, null, null, null))));
  }

  @Test
  void aSizeLimitRoundTripsAndIsAbsentWhenNotSet() throws Exception {
    Downstream limited = pod(new VolumeV1.EmptyDirV1("Memory", 64L * 1024 * 1024));
    assertThat(new String(codec.encode(limited), StandardCharsets.UTF_8)).contains("\"sizeLimitBytes\":67108864");
    assertThat(codec.decode(codec.encode(limited), Downstream.class)).isEqualTo(limited);
    assertThat(codec.decode(codec.encode(limited), Downstream.class).pod().volumes().get(0).emptyDir().memory())
        .isTrue();

    // An older bridge's pod (no field) decodes with no limit; an unlimited pod encodes as before.
    Downstream plain = pod(new VolumeV1.EmptyDirV1(null));
    String json = new String(codec.encode(plain), StandardCharsets.UTF_8);
    assertThat(json).contains("\"emptyDir\":{}").doesNotContain("sizeLimit");
    assertThat(codec.decode(json.getBytes(StandardCharsets.UTF_8), Downstream.class).pod().volumes().get(0)
        .emptyDir().sizeLimitBytes()).isNull();
  }

  @Test
  void aNegativeSizeLimitIsInvalid() throws Exception {
    byte[] bad = codec.encode(pod(new VolumeV1.EmptyDirV1(null, -1L)));
    assertThatThrownBy(() -> codec.decode(bad, Downstream.class))
        .isInstanceOfSatisfying(ProtocolException.class, e -> {
          assertThat(e.reason()).isEqualTo(ProtocolException.Reason.INVALID);
          assertThat(e.getMessage()).contains("emptyDir.sizeLimitBytes must not be negative");
        });
  }
}
