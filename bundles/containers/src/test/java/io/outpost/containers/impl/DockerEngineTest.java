package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DockerEngineTest {
  @Test
  void recognisesAnEngineWhoseLogDriverTakesNoSizeCap() {
    // Docker Engine with the journald driver as its default (Fedora, RHEL): the create is refused with this.
    assertThat(DockerEngine.refusesLogCap("create default_web_app: unknown log opt 'max-size' for journald log driver"))
        .isTrue();
    assertThat(DockerEngine.refusesLogCap("create default_web_app: no such image: localhost/nothing")).isFalse();
    assertThat(DockerEngine.refusesLogCap(null)).isFalse();
  }

  @Test
  void withoutTheCapTheSpecIsOtherwiseTheSame() {
    ContainerSpec spec = new ContainerSpec("n", "img", List.of("sh"), List.of("-c", "true"), List.of("A=1"), "/w",
        java.util.Map.of("l", "v"), "container:x", "h", null, List.of(), List.of(), 1024);
    assertThat(spec.withoutLogCap()).isEqualTo(new ContainerSpec("n", "img", List.of("sh"), List.of("-c", "true"),
        List.of("A=1"), "/w", java.util.Map.of("l", "v"), "container:x", "h", null, List.of(), List.of(), 0));
  }
}
