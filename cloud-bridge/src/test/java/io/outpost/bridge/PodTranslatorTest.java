package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.outpost.protocol.ResourcesV1;
import org.junit.jupiter.api.Test;

class PodTranslatorTest {

  @Test
  void quantitiesBecomeMillicoresAndBytes() {
    ResourcesV1 resources = PodTranslator.resources(new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity("250m")).addToRequests("memory", new Quantity("64Mi"))
        .addToLimits("cpu", new Quantity("1.5")).addToLimits("memory", new Quantity("1G")).build());
    assertThat(resources).isEqualTo(new ResourcesV1(250L, 1500L, 64L * 1024 * 1024, 1_000_000_000L));
  }

  @Test
  void fractionsRoundUpAndAbsentFieldsStayAbsent() {
    ResourcesV1 resources = PodTranslator.resources(new ResourceRequirementsBuilder()
        .addToLimits("cpu", new Quantity("0.0001")).addToLimits("memory", new Quantity("1.5Ki")).build());
    assertThat(resources).isEqualTo(new ResourcesV1(null, 1L, null, 1536L));
  }

  @Test
  void noRequirementsMeansNoResources() {
    assertThat(PodTranslator.resources(null)).isNull();
    assertThat(PodTranslator.resources(new ResourceRequirementsBuilder().build())).isNull();
    assertThat(PodTranslator.resources(new ResourceRequirementsBuilder()
        .addToLimits("nvidia.com/gpu", new Quantity("1")).build())).isNull();
  }

  @Test
  void onlyPortsPublishedOnTheNodeAreSent() {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1").addNewContainer().withName("app").withImage("nginx")
        .addNewPort().withContainerPort(80).endPort()
        .addNewPort().withName("https").withContainerPort(443).withHostPort(8443).withProtocol("TCP").endPort()
        .endContainer().endSpec().build();
    assertThat(PodTranslator.toEdge(pod).containers().get(0).ports())
        .containsExactly(new io.outpost.protocol.PortV1("https", 443, 8443, "TCP", null));
  }
}
