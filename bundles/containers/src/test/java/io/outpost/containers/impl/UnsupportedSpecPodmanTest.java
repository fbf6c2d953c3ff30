package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.testing.Podman;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A pod whose spec asks for something the node does not provide (named by the bridge in {@code unsupported}) is
 * refused, not run with the field dropped: its containers wait in CreateContainerConfigError naming the fields, a
 * Warning Event says the same, and no app container is created; the same pod without them runs.
 */
class UnsupportedSpecPodmanTest extends PodmanFixture {

  private PodV1 pod(List<String> unsupported) {
    return new PodV1(node, "Always", 1L, null, null, List.of(container("app", List.of("sleep", "3600"), null)),
        List.of(container("setup", List.of("true"), null)), null, null, null, null, null, null, unsupported);
  }

  @Test
  void aPodWithUnsupportedFieldsStartsNoContainerAndSaysWhichFields() {
    ObjectRef refused = new ObjectRef("Pod", "default", "hooks", UUID.randomUUID().toString(), "1");
    List<String> fields = List.of("spec.containers[app].lifecycle: postStart/preStop hooks are not run on edge"
        + " nodes", "spec.hostAliases: /etc/hosts entries are not written on edge nodes");
    store.put(refused, pod(fields));
    ObjectRef plain = new ObjectRef("Pod", "default", "plain", UUID.randomUUID().toString(), "1");
    store.put(plain, pod(null));

    PodStatusReport status = reconcileUntil(refused.uid(), s -> !s.initContainers().isEmpty()
        && "CreateContainerConfigError".equals(s.initContainers().get(0).state().reason()));
    String message = "pod spec not supported on this node: " + String.join("; ", fields);
    assertThat(status.initContainers().get(0).state().message()).isEqualTo(message);
    assertThat(status.phase()).isEqualTo("Pending");
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("Failed");
      assertThat(e.type()).isEqualTo("Warning");
      assertThat(e.message()).isEqualTo("Error: " + message);
    });
    reconcileUntil(plain.uid(), s -> "Running".equals(s.phase()));
    assertThat(Podman.appContainersOf(refused.uid())).isEmpty();
    assertThat(Podman.appContainersOf(plain.uid())).hasSize(2);
  }
}
