package io.outpost.bridge.downstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.PodV1;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every PodSpec field an edge node would otherwise ignore is named and travels with the pod; a pod as the API server
 * defaults it (dnsPolicy ClusterFirst, terminationMessagePath, enableServiceLinks, scheduling fields) names none.
 */
class UnsupportedFieldsTest {

  /** A pod as an API server stores it after defaulting, with the scheduling fields a Deployment may set. */
  private static PodBuilder defaulted() {
    return new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").withUid("u1").withResourceVersion("7").endMetadata()
        .withNewSpec().withNodeName("edge-1").withDnsPolicy("ClusterFirst").withEnableServiceLinks(true)
        .withRestartPolicy("Always").withSchedulerName("default-scheduler").withPriority(0)
        .withTerminationGracePeriodSeconds(30L).withServiceAccountName("default")
        .addNewToleration().withKey("node.outpost.io/edge").withOperator("Exists").endToleration()
        .withNewAffinity().endAffinity().withNewOs("linux")
        .addNewContainer().withName("app").withImage("nginx").withImagePullPolicy("IfNotPresent")
        .withTerminationMessagePath("/dev/termination-log").withTerminationMessagePolicy("File")
        .withNewResources().addToRequests("cpu", new Quantity("100m")).addToLimits("memory", new Quantity("64Mi"))
        .endResources()
        .addNewPort().withContainerPort(80).endPort()
        .addNewVolumeMount().withName("data").withMountPath("/data").withMountPropagation("None").endVolumeMount()
        .endContainer()
        .addNewVolume().withName("data").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec();
  }

  @Test
  void aDefaultedPodHasNoUnsupportedField() {
    Pod pod = defaulted().build();
    assertThat(UnsupportedFields.of(pod)).isEmpty();
    assertThat(PodTranslator.toEdge(pod).unsupported()).isNull();
  }

  @Test
  void everyFieldEdgeNodesDoNotProvideIsNamedWithItsPath() {
    Pod pod = defaulted().editSpec().withActiveDeadlineSeconds(60L).addNewHostAlias().withIp("10.0.0.1")
        .withHostnames("db").endHostAlias().withShareProcessNamespace(true).withRuntimeClassName("kata")
        .withNewDnsConfig().withNameservers("1.1.1.1").endDnsConfig()
        .editFirstContainer().withNewLifecycle().withNewPreStop().withNewExec().withCommand("true").endExec()
        .endPreStop().endLifecycle().withTty(true)
        .editResources().addToLimits("nvidia.com/gpu", new Quantity("1"))
        .addToRequests("ephemeral-storage", new Quantity("1Gi")).addToLimits("ephemeral-storage", new Quantity("2Gi"))
        .endResources()
        .editFirstVolumeMount().withSubPathExpr("$(POD_NAME)").withMountPropagation("HostToContainer")
        .endVolumeMount()
        .withNewLivenessProbe().withNewGrpc().withPort(9000).endGrpc().endLivenessProbe()
        .endContainer()
        .addNewInitContainer().withName("proxy").withImage("envoy").withRestartPolicy("Always").endInitContainer()
        .endSpec().build();

    assertThat(UnsupportedFields.of(pod)).containsExactly(
        "spec.activeDeadlineSeconds: not enforced on edge nodes",
        "spec.dnsConfig/dnsPolicy None: custom DNS configuration is not applied on edge nodes",
        "spec.hostAliases: /etc/hosts entries are not written on edge nodes",
        "spec.shareProcessNamespace: a shared process namespace is not provided on edge nodes",
        "spec.runtimeClassName: runtime classes are not available on edge nodes",
        "spec.initContainers[proxy].restartPolicy: sidecar containers are not supported on edge nodes",
        "spec.containers[app].lifecycle: postStart/preStop hooks are not run on edge nodes",
        "spec.containers[app].stdin/tty: attaching to a container is not supported on edge nodes",
        "spec.containers[app].resources: nvidia.com/gpu is not a resource edge nodes provide",
        "spec.containers[app].resources.limits.ephemeral-storage: not enforced on edge nodes (use emptyDir.sizeLimit)",
        "spec.containers[app].volumeMounts[data].subPathExpr: not expanded on edge nodes",
        "spec.containers[app].volumeMounts[data].mountPropagation: only None is provided on edge nodes",
        "spec.containers[app].livenessProbe.grpc: gRPC probes are not run on edge nodes");
  }

  @Test
  void fieldsOfANewerApiServerThatThisModelDoesNotKnowAreNamedNotDropped() {
    KubernetesSerialization json = new KubernetesSerialization();
    String manifest = json.asJson(defaulted().build()).replace("\"containers\":[{",
        "\"futureField\":{\"x\":1},\"containers\":[{\"stopSignal\":\"SIGUSR1\",");
    Pod pod = json.unmarshal(manifest, Pod.class);

    assertThat(UnsupportedFields.of(pod)).containsExactly(
        "spec.futureField: a field this bridge does not know",
        "spec.containers[app].stopSignal: a field this bridge does not know");
  }

  @Test
  void theListIsCappedAndTheWireAcceptsWhatTheBridgeSends() throws Exception {
    PodBuilder pod = defaulted();
    for (int i = 0; i < 20; i++) {
      pod.editSpec().addNewContainer().withName("c" + i).withImage("x").withTty(true).endContainer().endSpec();
    }
    List<String> fields = UnsupportedFields.of(pod.build());
    assertThat(fields).hasSize(UnsupportedFields.MAX_LISTED).last().isEqualTo("… and 5 more");

    PodV1 edge = PodTranslator.toEdge(pod.build());
    Codec codec = new Codec();
    byte[] bytes = codec.encode(Downstream.upsertPod(1, 1, PodTranslator.ref(pod.build()), edge));
    Downstream decoded = codec.decode(bytes, Downstream.class);
    assertThat(decoded.pod().unsupportedFields()).isEqualTo(fields);
  }
}
