package io.outpost.bridge.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The spec as the API server stores it (YAML → JSON maps), parsed and validated: good specs and each bad field. */
class RolloutSpecTest {
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  static final String ARTIFACT = """
      artifact:
        type: bundle
        name: io.outpost.sync
        version: "0.1.1"
        size: 48213
        sha256: %s
        keyId: ops-2026
        signature: c2lnbmF0dXJlIG9mIHRoZSBtYW5pZmVzdA==
        source: %s
      """;

  static Object yaml(String text) {
    return SERIALIZATION.unmarshal(text, Map.class);
  }

  static String artifact(String sha, String source) {
    return ARTIFACT.formatted(sha, source);
  }

  static RolloutSpec parse(String yaml) throws RolloutSpec.Invalid {
    return RolloutSpec.parse("sync-0-1-1", yaml(yaml));
  }

  @Test
  void defaultsAreOneCanaryOneAtATimeEveryEdgeNode() throws Exception {
    RolloutSpec spec = parse(artifact("a".repeat(64), "https://repo.example.com/sync.jar"));
    assertThat(spec.canary()).isEqualTo(1);
    assertThat(spec.slots(100)).isEqualTo(1);
    assertThat(spec.paused()).isFalse();
    assertThat(spec.selects("any", null)).isTrue();
    assertThat(spec.artifact().rollout()).isEqualTo("sync-0-1-1");
    assertThat(spec.artifact().version()).isEqualTo("0.1.1");
    assertThat(spec.artifact().size()).isEqualTo(48213);
    assertThat(spec.artifact().source()).isEqualTo("https://repo.example.com/sync.jar");
  }

  @Test
  void targetsStrategyAndPause() throws Exception {
    RolloutSpec spec = parse(artifact("a".repeat(64), "file:sync-0.1.1.jar") + """
        target:
          sites: [north]
          nodes: [edge-9]
        strategy:
          canary: 3
          maxUnavailable: 10%
        paused: true
        """);
    assertThat(spec.sites()).containsExactly("north");
    assertThat(spec.nodes()).containsExactly("edge-9");
    assertThat(spec.selects("edge-1", "north")).isTrue();
    assertThat(spec.selects("edge-9", "south")).isTrue();
    assertThat(spec.selects("edge-2", "south")).isFalse();
    assertThat(spec.canary()).isEqualTo(3);
    assertThat(spec.percent()).isTrue();
    assertThat(spec.slots(100)).isEqualTo(10);
    assertThat(spec.paused()).isTrue();
    assertThat(parse(artifact("a".repeat(64), "http://10.0.0.5:8081/x.jar") + "strategy: {maxUnavailable: 4}\n")
        .slots(100)).isEqualTo(4);
    assertThat(parse(artifact("a".repeat(64), "file:x.jar") + "strategy: {maxUnavailable: \"2\"}\n")
        .slots(100)).isEqualTo(2);
  }

  @Test
  void invalidSpecsNameTheField() {
    String good = artifact("a".repeat(64), "https://repo.example.com/sync.jar");
    Map<String, String> bad = Map.of(
        "", "spec.artifact is required",
        artifact("A".repeat(64), "https://r/x.jar"), "sha256",
        artifact("a".repeat(64), "\"\""), "spec.artifact.source is required",
        artifact("a".repeat(64), "ftp://repo/x.jar"), "spec.artifact.source must be",
        artifact("a".repeat(64), "file:../etc/passwd"), "spec.artifact.source must be",
        good.replace("size: 48213", "size: -1"), "size",
        good.replace("version: \"0.1.1\"", "version: 0.1"), "version",
        good.replace("type: bundle", "type: jar"), "type must be bundle or feature",
        good + "strategy: {canary: -1}\n", "spec.strategy.canary",
        good + "strategy: {maxUnavailable: 0}\n", "spec.strategy.maxUnavailable");
    bad.forEach((yaml, message) -> assertThatThrownBy(() -> parse(yaml.isEmpty() ? "paused: false\n" : yaml))
        .as(yaml).isInstanceOf(RolloutSpec.Invalid.class).hasMessageContaining(message));
    assertThatThrownBy(() -> parse(artifact("a".repeat(64), "file:builds/x.jar")))
        .as("the artifact store reads only files directly in its sources folder").hasMessageContaining("no '/'");
    assertThatThrownBy(() -> parse(good.replace("type: bundle", "type: feature")))
        .as("refused here, not after every node fetched it").hasMessageContaining("bundle artifacts only");
    for (String more : List.of("strategy: {maxUnavailable: 150%}\n", "strategy: {maxUnavailable: ten}\n",
        "target: {sites: north}\n", "paused: yes-please\n")) {
      assertThatThrownBy(() -> parse(good + more)).as(more).isInstanceOf(RolloutSpec.Invalid.class);
    }
    assertThatThrownBy(() -> parse(good.replace("keyId:", "owner: me\n  keyId:"))).hasMessageContaining("owner");
    assertThatThrownBy(() -> RolloutSpec.parse("x", null)).isInstanceOf(RolloutSpec.Invalid.class)
        .extracting(e -> ((RolloutSpec.Invalid) e).reason()).isEqualTo("missing_spec");
  }
}
