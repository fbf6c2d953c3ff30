package io.outpost.bridge.downstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.outpost.protocol.VolumeV1;
import org.junit.jupiter.api.Test;

class VolumeTranslatorTest {
  @Test
  void emptyDirSizeLimitTravelsInBytesWithItsMedium() {
    io.fabric8.kubernetes.api.model.Pod pod = new PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1")
        .addNewVolume().withName("scratch").withNewEmptyDir().withSizeLimit(new Quantity("64Mi")).endEmptyDir()
        .endVolume()
        .addNewVolume().withName("shm").withNewEmptyDir().withMedium("Memory").withSizeLimit(new Quantity("1G"))
        .endEmptyDir().endVolume()
        .addNewVolume().withName("tiny").withNewEmptyDir().withSizeLimit(new Quantity("1.5k")).endEmptyDir()
        .endVolume()
        .addNewVolume().withName("plain").withNewEmptyDir().withMedium("").endEmptyDir().endVolume()
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.volumes()).extracting(VolumeV1::emptyDir).containsExactly(
        new VolumeV1.EmptyDirV1(null, 64L * 1024 * 1024),
        new VolumeV1.EmptyDirV1("Memory", 1_000_000_000L),
        new VolumeV1.EmptyDirV1(null, 1500L),
        new VolumeV1.EmptyDirV1(null, null));
  }

  @Test
  void aFractionalByteLimitRoundsUpAsTheKubeletReadsIt() {
    assertThat(VolumeTranslator.emptyDir(new io.fabric8.kubernetes.api.model.EmptyDirVolumeSource(null,
        new Quantity("1500m"))).sizeLimitBytes()).isEqualTo(2L);
  }

  @Test
  void downwardApiVolumesAndProjectedSourcesTravelWithTheirFiles() throws Exception {
    io.fabric8.kubernetes.api.model.Pod pod = new PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1")
        .addNewVolume().withName("info").withNewDownwardAPI().withDefaultMode(0644)
        .addNewItem().withPath("labels").withNewFieldRef().withFieldPath("metadata.labels").endFieldRef().endItem()
        .addNewItem().withPath("mem").withMode(0600).withNewResourceFieldRef().withContainerName("app")
        .withResource("limits.memory").withDivisor(new Quantity("1Mi")).endResourceFieldRef().endItem()
        .endDownwardAPI().endVolume()
        .addNewVolume().withName("kube-api-access").withNewProjected().withDefaultMode(420)
        .addNewSource().withNewServiceAccountToken().withPath("token").withAudience("vault")
        .withExpirationSeconds(7200L).endServiceAccountToken().endSource()
        .addNewSource().withNewDownwardAPI().addNewItem().withPath("namespace").withNewFieldRef()
        .withFieldPath("metadata.namespace").endFieldRef().endItem().endDownwardAPI().endSource()
        .addNewSource().withNewClusterTrustBundle().withPath("ca.pem").withSignerName("example.com/ca")
        .endClusterTrustBundle().endSource()
        .endProjected().endVolume()
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.volumes().get(0).downwardAPI()).isEqualTo(new VolumeV1.DownwardApiV1(java.util.List.of(
        new VolumeV1.DownwardFileV1("labels", "metadata.labels", null, null),
        new VolumeV1.DownwardFileV1("mem", null, new io.outpost.protocol.PodV1.ResourceFieldRefV1("app",
            "limits.memory", "1Mi"), 0600)), 0644));
    assertThat(edge.volumes().get(1).projected()).as("the ClusterTrustBundle source is refused, not sent")
        .isEqualTo(new VolumeV1.ProjectedV1(java.util.List.of(
            new VolumeV1.ProjectionV1(null, null, null, new VolumeV1.ServiceAccountTokenV1("vault", 7200L, "token")),
            new VolumeV1.ProjectionV1(null, null, new VolumeV1.DownwardApiV1(java.util.List.of(
                new VolumeV1.DownwardFileV1("namespace", "metadata.namespace", null, null)), null), null)), 420));
    assertThat(edge.unsupported()).containsExactly("spec.volumes[kube-api-access].projected.sources[2]"
        + ".clusterTrustBundle: ClusterTrustBundle sources are not provided on edge nodes");
    roundTrip(edge);
  }

  @Test
  void mountsCarrySubPathExprAndAPropagationOtherThanNone() throws Exception {
    io.fabric8.kubernetes.api.model.Pod pod = new PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1")
        .addNewVolume().withName("logs").withNewEmptyDir().endEmptyDir().endVolume()
        .addNewContainer().withName("app").withImage("nginx")
        .addNewVolumeMount().withName("logs").withMountPath("/logs").withSubPathExpr("$(POD_NAME)")
        .withMountPropagation("None").endVolumeMount()
        .addNewVolumeMount().withName("logs").withMountPath("/all").withMountPropagation("HostToContainer")
        .endVolumeMount()
        .endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.containers().get(0).volumeMounts()).containsExactly(
        new VolumeV1.VolumeMountV1("logs", "/logs", null, null, "$(POD_NAME)", null),
        new VolumeV1.VolumeMountV1("logs", "/all", null, null, null, "HostToContainer"));
    assertThat(edge.unsupported()).as("propagation other than None is refused").containsExactly(
        "spec.containers[app].volumeMounts[logs].mountPropagation: only None is provided on edge nodes");
    roundTrip(edge);
  }

  @Test
  void aVolumeTypeTheEdgeDoesNotProvideIsNamedByItsKubernetesName() {
    io.fabric8.kubernetes.api.model.Pod pod = new PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1")
        .addNewVolume().withName("disk").withNewIscsi().withTargetPortal("10.0.0.1:3260").withIqn("iqn.x")
        .withLun(0).endIscsi().endVolume()
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.volumes().get(0).unsupported()).isEqualTo("iscsi");
    assertThat(edge.unsupported()).containsExactly(
        "spec.volumes[disk].iscsi: iSCSI volumes are not mounted on edge nodes");
  }

  /** What the bridge sends, the wire accepts. */
  static void roundTrip(io.outpost.protocol.PodV1 pod) throws Exception {
    io.outpost.protocol.Codec codec = new io.outpost.protocol.Codec();
    io.outpost.protocol.ObjectRef ref = new io.outpost.protocol.ObjectRef(io.outpost.protocol.Downstream.KIND_POD,
        "shop", "web", "u1", "1");
    byte[] bytes = codec.encode(io.outpost.protocol.Downstream.upsertPod(1, 1, ref, pod));
    assertThat(codec.decode(bytes, io.outpost.protocol.Downstream.class).pod()).isEqualTo(pod);
  }
}
