package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import org.junit.jupiter.api.Test;

class NamingTest {

  @Test
  void namesContainersAfterNamespacePodContainerAndUidPrefix() {
    ObjectRef ref = new ObjectRef("Pod", "shop", "web-1", "0a1b2c3d-4e5f-6789", "7");
    assertThat(Naming.containerName(ref, "nginx")).isEqualTo("outpost_shop_web-1_nginx_0a1b2c3d");
  }

  @Test
  void sanitisesCharactersEnginesRejectAndBoundsTheLength() {
    assertThat(Naming.sanitise("a b/c:d@e")).isEqualTo("a-b-c-d-e");
    assertThat(Naming.sanitise("")).isEqualTo("x");
    assertThat(Naming.sanitise(null)).isEqualTo("x");
    ObjectRef ref = new ObjectRef("Pod", null, "p".repeat(300), "uid", "1");
    String name = Naming.containerName(ref, "c");
    assertThat(name).hasSizeLessThanOrEqualTo(200).startsWith("outpost_default_").endsWith("_c_uid");
    assertThat(name).matches("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
  }

  @Test
  void labelsCarryNodePodAndContainer() {
    ObjectRef ref = new ObjectRef("Pod", "ns", "p", "u-1", "1");
    assertThat(Naming.labels("edge-7", ref, "app")).containsEntry("io.outpost.managed", "true")
        .containsEntry("io.outpost.node", "edge-7").containsEntry("io.outpost.pod.uid", "u-1")
        .containsEntry("io.outpost.pod.namespace", "ns").containsEntry("io.outpost.pod.name", "p")
        .containsEntry("io.outpost.container", "app").hasSize(6);
  }

  @Test
  void splitsImageReferences() {
    assertThat(ImageRef.split("localhost/busybox:test")).containsExactly("localhost/busybox", "test");
    assertThat(ImageRef.split("registry:5000/app")).containsExactly("registry:5000/app", "latest");
    assertThat(ImageRef.split("nginx")).containsExactly("nginx", "latest");
    assertThat(ImageRef.split("nginx@sha256:abc")).containsExactly("nginx", "sha256:abc");
  }
}
