package io.outpost.bridge.downstream;

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

  @Test
  void imagePullSecretNamesTravelWithThePodAndTheirSecretsAreRouted() {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1").addNewContainer().withName("app").withImage("reg.example.com/app")
        .endContainer().addNewImagePullSecret("regcred").addNewImagePullSecret("regcred")
        .addNewImagePullSecret("mirror").endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.imagePullSecrets()).containsExactly("regcred", "mirror");
    assertThat(References.of(pod)).containsExactly("Secret/shop/regcred", "Secret/shop/mirror");
    io.outpost.protocol.PodV1 none = PodTranslator.toEdge(new io.fabric8.kubernetes.api.model.PodBuilder(pod)
        .editSpec().withImagePullSecrets().endSpec().build());
    assertThat(none.imagePullSecrets()).isNull();
  }

  @Test
  void hostnameSubdomainAndFqdnTravelOnlyWhenSet() {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("db-0").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1").withHostname("db-0").withSubdomain("db").withSetHostnameAsFQDN(true)
        .addNewContainer().withName("app").withImage("postgres").endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.hostname()).isEqualTo("db-0");
    assertThat(edge.subdomain()).isEqualTo("db");
    assertThat(edge.setHostnameAsFQDN()).isTrue();
    io.outpost.protocol.PodV1 plain = PodTranslator.toEdge(new io.fabric8.kubernetes.api.model.PodBuilder(pod)
        .editSpec().withHostname("").withSubdomain(null).withSetHostnameAsFQDN(false).endSpec().build());
    // Unset, empty and false are all absent, so that such a pod's content hash is what it was before these fields.
    assertThat(plain.hostname()).isNull();
    assertThat(plain.subdomain()).isNull();
    assertThat(plain.setHostnameAsFQDN()).isNull();
  }

  @Test
  void volumesAndMountsTravelAndWhatTheEdgeCannotProvideIsNamed() {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1")
        .addNewVolume().withName("cfg").withNewConfigMap().withName("settings").addNewItem().withKey("a")
        .withPath("conf/a").withMode(384).endItem().withDefaultMode(420).endConfigMap().endVolume()
        .addNewVolume().withName("token").withNewProjected()
        .addNewSource().withNewServiceAccountToken().withPath("token").endServiceAccountToken().endSource()
        .addNewSource().withNewConfigMap().withName("kube-root-ca.crt").endConfigMap().endSource()
        .endProjected().endVolume()
        .addNewVolume().withName("db").withNewPersistentVolumeClaim().withClaimName("db").endPersistentVolumeClaim()
        .endVolume()
        .addNewContainer().withName("app").withImage("nginx")
        .addNewVolumeMount().withName("cfg").withMountPath("/etc/app").withReadOnly(true).endVolumeMount()
        .addNewVolumeMount().withName("cfg").withMountPath("/one").withSubPath("conf/a").endVolumeMount()
        .endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.volumes()).hasSize(3);
    assertThat(edge.volumes().get(0).configMap()).isEqualTo(new io.outpost.protocol.VolumeV1.KeyedSourceV1(
        "settings", java.util.List.of(new io.outpost.protocol.VolumeV1.KeyToPathV1("a", "conf/a", 384)), 420, null));
    assertThat(edge.volumes().get(1).projected().sources()).as("the token source is left out").singleElement()
        .satisfies(p -> assertThat(p.configMap().name()).isEqualTo("kube-root-ca.crt"));
    assertThat(edge.volumes().get(2).unsupported()).isEqualTo("persistentVolumeClaim");
    assertThat(edge.containers().get(0).volumeMounts()).containsExactly(
        new io.outpost.protocol.VolumeV1.VolumeMountV1("cfg", "/etc/app", null, true),
        new io.outpost.protocol.VolumeV1.VolumeMountV1("cfg", "/one", "conf/a", null));
  }

  @Test
  void probesTravelWithNamedPortsResolvedAndWhatCannotRunNamed() {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1").addNewContainer().withName("app").withImage("nginx")
        .addNewPort().withName("http").withContainerPort(8080).endPort()
        .withNewReadinessProbe().withNewHttpGet().withPath("/healthz")
        .withPort(new io.fabric8.kubernetes.api.model.IntOrString("http")).endHttpGet().withPeriodSeconds(5)
        .endReadinessProbe()
        .withNewLivenessProbe().withNewTcpSocket().withPort(new io.fabric8.kubernetes.api.model.IntOrString("nope"))
        .endTcpSocket().endLivenessProbe()
        .withNewStartupProbe().withNewGrpc().withPort(9000).endGrpc().endStartupProbe()
        .endContainer().endSpec().build();

    io.outpost.protocol.ProbeV1.ProbesV1 probes = PodTranslator.toEdge(pod).containers().get(0).probes();

    assertThat(probes.readiness().httpGet()).isEqualTo(new io.outpost.protocol.ProbeV1.HttpGetV1("/healthz", 8080,
        null));
    assertThat(probes.readiness().period()).isEqualTo(5);
    assertThat(probes.liveness().unsupported()).isEqualTo("tcpSocket port nope is not a port of the container");
    assertThat(probes.startup().unsupported()).isEqualTo("gRPC probes are not supported on edge nodes");
  }
}
