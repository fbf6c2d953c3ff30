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
 * Every PodSpec field the contract refuses is named and travels with the pod; a pod as the API server defaults it
 * (dnsPolicy ClusterFirst, terminationMessagePath, enableServiceLinks, scheduling fields) names none, and neither
 * does a pod using what the node honours.
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
    Pod pod = defaulted().editSpec().withShareProcessNamespace(true).withRuntimeClassName("kata")
        .withDnsPolicy("None").withNewDnsConfig().withNameservers("1.1.1.1").endDnsConfig()
        .editFirstContainer()
        .editResources().addToLimits("nvidia.com/gpu", new Quantity("1"))
        .addToRequests("ephemeral-storage", new Quantity("1Gi")).addToLimits("ephemeral-storage", new Quantity("2Gi"))
        .endResources()
        .editFirstVolumeMount().withMountPropagation("HostToContainer").endVolumeMount()
        .addNewVolumeDevice().withName("data").withDevicePath("/dev/xvda").endVolumeDevice()
        .withNewLivenessProbe().withNewGrpc().withPort(9000).endGrpc().endLivenessProbe()
        .withNewReadinessProbe().withNewTcpSocket().withHost("10.0.0.9").withNewPort(80).endTcpSocket()
        .endReadinessProbe()
        .endContainer()
        .addNewVolume().withName("db").withNewPersistentVolumeClaim().withClaimName("db").endPersistentVolumeClaim()
        .endVolume()
        .addNewInitContainer().withName("proxy").withImage("envoy").withRestartPolicy("Always")
        .withNewStartupProbe().withNewGrpc().withPort(9901).endGrpc().endStartupProbe().endInitContainer()
        .endSpec().build();

    assertThat(UnsupportedFields.of(pod)).containsExactly(
        "spec.containers[app].resources.limits: nvidia.com/gpu is not a resource edge nodes provide",
        "spec.containers[app].resources.limits.ephemeral-storage: not enforced on edge nodes (use emptyDir.sizeLimit)",
        "spec.containers[app].volumeDevices: block devices are not available on edge nodes",
        "spec.containers[app].readinessProbe.tcpSocket.host: probing another host than the pod is not supported on"
            + " edge nodes",
        "spec.containers[app].volumeMounts[data].mountPropagation: only None is provided on edge nodes",
        "spec.volumes[db].persistentVolumeClaim: persistent volumes are not provided on edge nodes",
        "spec.shareProcessNamespace: a shared process namespace is not provided on edge nodes",
        "spec.runtimeClassName: runtime classes are not available on edge nodes");
  }

  @Test
  void whatTheNodeHonoursSinceIssue21IsNotNamed() {
    Pod pod = defaulted().editSpec().withActiveDeadlineSeconds(60L).addNewHostAlias().withIp("10.0.0.1")
        .withHostnames("db").endHostAlias()
        .editFirstContainer().withNewLifecycle().withNewPreStop().withNewExec().withCommand("true").endExec()
        .endPreStop().withNewPostStart().withNewSleep().withSeconds(1L).endSleep().endPostStart().endLifecycle()
        .withTty(true).withStdin(true).withTerminationMessagePolicy("FallbackToLogsOnError")
        .editFirstVolumeMount().withSubPathExpr("$(POD_NAME)").endVolumeMount()
        .addNewEnv().withName("CPU").withNewValueFrom().withNewResourceFieldRef().withResource("limits.cpu")
        .endResourceFieldRef().endValueFrom().endEnv()
        .withNewReadinessProbe().withNewHttpGet().withHost("localhost").addNewHttpHeader("X-Probe", "1")
        .withNewPort(80).endHttpGet().withTerminationGracePeriodSeconds(5L).endReadinessProbe()
        .endContainer()
        .addNewInitContainer().withName("proxy").withImage("envoy").withRestartPolicy("Always").endInitContainer()
        .addNewEphemeralContainer().withName("debugger").withImage("busybox").withTargetContainerName("app")
        .withStdin(true).withTty(true).endEphemeralContainer()
        .addNewVolume().withName("info").withNewDownwardAPI().addNewItem().withPath("labels").withNewFieldRef()
        .withFieldPath("metadata.labels").endFieldRef().endItem().endDownwardAPI().endVolume()
        .addNewVolume().withName("kube-api-access").withNewProjected().addNewSource().withNewServiceAccountToken()
        .withPath("token").withExpirationSeconds(3607L).endServiceAccountToken().endSource().endProjected().endVolume()
        .endSpec().build();

    assertThat(UnsupportedFields.of(pod)).isEmpty();
  }

  @Test
  void dnsPolicyNoneWithADnsConfigIsHonouredAndOnlyAConfigBeyondTheWiresBoundsIsNamed() {
    Pod custom = defaulted().editSpec().withDnsPolicy("None").withNewDnsConfig().withNameservers("1.1.1.1", "fd00::53")
        .withSearches("shop.svc.cluster.local", "example.com").addNewOption().withName("ndots").withValue("2")
        .endOption().addNewOption().withName("edns0").endOption().endDnsConfig().withEnableServiceLinks(false)
        .endSpec().build();
    assertThat(UnsupportedFields.of(custom)).isEmpty();

    Pod tooMany = defaulted().editSpec().withDnsPolicy("None").withNewDnsConfig()
        .withNameservers("1.1.1.1", "1.0.0.1", "8.8.8.8", "9.9.9.9").endDnsConfig().endSpec().build();
    assertThat(UnsupportedFields.of(tooMany))
        .containsExactly("spec.dnsConfig: more than 3 nameservers are not written on edge nodes");
    assertThat(PodTranslator.toEdge(tooMany).dnsConfig()).as("not sent beyond the bounds").isNull();

    Pod named = defaulted().editSpec().withNewDnsConfig().withNameservers("dns.example").endDnsConfig().endSpec()
        .build();
    assertThat(UnsupportedFields.of(named))
        .containsExactly("spec.dnsConfig: nameserver 'dns.example' is not an IP address");
  }

  @Test
  void refusalsAreConditionalWhereTheContractSaysSo() {
    Pod fine = defaulted().editSpec().withShareProcessNamespace(false).withDnsPolicy("Default")
        .editFirstContainer().editFirstVolumeMount().withRecursiveReadOnly("IfPossible").endVolumeMount()
        .endContainer().endSpec().build();
    Pod refused = defaulted().editSpec().withNewOs("windows").editFirstContainer().editFirstVolumeMount()
        .withRecursiveReadOnly("Enabled").endVolumeMount().endContainer().endSpec().build();

    assertThat(UnsupportedFields.of(fine)).isEmpty();
    assertThat(UnsupportedFields.of(refused)).containsExactly(
        "spec.containers[app].volumeMounts[data].recursiveReadOnly: recursive read-only mounts are not provided on"
            + " edge nodes",
        "spec.os.name: edge nodes run linux only");
  }

  @Test
  void securitySettingsAreLeftToTheNodesSecurityAdmission() {
    Pod pod = defaulted().editSpec().withHostUsers(false).withNewSecurityContext().withNewSeLinuxOptions()
        .withLevel("s0").endSeLinuxOptions().endSecurityContext().endSpec().build();

    assertThat(UnsupportedFields.of(pod)).isEmpty();
    assertThat(PodTranslator.toEdge(pod).securityContext().unsupported())
        .contains("hostUsers: false (user namespaces)", "securityContext.seLinuxOptions");
  }

  @Test
  void fieldsOfANewerApiServerThatThisModelDoesNotKnowAreNamedNotDropped() {
    KubernetesSerialization json = new KubernetesSerialization();
    String manifest = json.asJson(defaulted().build()).replace("\"containers\":[{",
        "\"futureField\":{\"x\":1},\"containers\":[{\"stopSignal\":\"SIGUSR1\",");
    Pod pod = json.unmarshal(manifest, Pod.class);

    assertThat(UnsupportedFields.of(pod)).containsExactly(
        "spec.containers[app].stopSignal: a field this bridge does not know",
        "spec.futureField: a field this bridge does not know");

    Pod nested = json.unmarshal(json.asJson(defaulted().build()).replace("\"mountPath\"",
        "\"futureMountField\":true,\"mountPath\""), Pod.class);
    assertThat(UnsupportedFields.of(nested)).as("unknown fields are found at any depth").containsExactly(
        "spec.containers[app].volumeMounts[data].futureMountField: a field this bridge does not know");

    Pod stopSignal = json.unmarshal(json.asJson(defaulted().editSpec().editFirstContainer().withNewLifecycle()
        .endLifecycle().endContainer().endSpec().build()).replace("\"lifecycle\":{", "\"lifecycle\":{"
        + "\"stopSignal\":\"SIGUSR1\""), Pod.class);
    assertThat(UnsupportedFields.of(stopSignal)).as("lifecycle.stopSignal of Kubernetes 1.33 is known").isEmpty();
  }

  @Test
  void theListIsCappedAndTheWireAcceptsWhatTheBridgeSends() throws Exception {
    PodBuilder pod = defaulted();
    for (int i = 0; i < 20; i++) {
      pod.editSpec().addNewContainer().withName("c" + i).withImage("x").withNewResources()
          .addToLimits("nvidia.com/gpu", new Quantity("1")).endResources().endContainer().endSpec();
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
