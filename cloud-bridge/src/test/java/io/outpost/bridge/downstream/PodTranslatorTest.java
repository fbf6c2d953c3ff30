package io.outpost.bridge.downstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.outpost.protocol.ResourcesV1;
import org.junit.jupiter.api.Test;

class PodTranslatorTest {

  @Test
  void quantitiesBecomeMillicoresAndBytes() {
    ResourcesV1 resources = ContainerTranslator.resources(new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity("250m")).addToRequests("memory", new Quantity("64Mi"))
        .addToLimits("cpu", new Quantity("1.5")).addToLimits("memory", new Quantity("1G")).build());
    assertThat(resources).isEqualTo(new ResourcesV1(250L, 1500L, 64L * 1024 * 1024, 1_000_000_000L));
  }

  @Test
  void fractionsRoundUpAndAbsentFieldsStayAbsent() {
    ResourcesV1 resources = ContainerTranslator.resources(new ResourceRequirementsBuilder()
        .addToLimits("cpu", new Quantity("0.0001")).addToLimits("memory", new Quantity("1.5Ki")).build());
    assertThat(resources).isEqualTo(new ResourcesV1(null, 1L, null, 1536L));
  }

  @Test
  void noRequirementsMeansNoResources() {
    assertThat(ContainerTranslator.resources(null)).isNull();
    assertThat(ContainerTranslator.resources(new ResourceRequirementsBuilder().build())).isNull();
    assertThat(ContainerTranslator.resources(new ResourceRequirementsBuilder()
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
    assertThat(edge.volumes().get(1).projected().sources()).as("the token source travels, for the bridge to request"
        + " and the node to write").containsExactly(
        new io.outpost.protocol.VolumeV1.ProjectionV1(null, null, null,
            new io.outpost.protocol.VolumeV1.ServiceAccountTokenV1(null, null, "token")),
        new io.outpost.protocol.VolumeV1.ProjectionV1(new io.outpost.protocol.VolumeV1.KeyedSourceV1(
            "kube-root-ca.crt", null, null, null), null));
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
    assertThat(probes.startup().grpc()).isEqualTo(new io.outpost.protocol.ProbeV1.GrpcV1(9000, null));
    assertThat(probes.startup().unsupported()).isNull();
  }

  @Test
  void probeHostHeadersGracePeriodAndGrpcTravel() {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1").addNewContainer().withName("app").withImage("nginx")
        .withNewLivenessProbe().withNewHttpGet().withPath("/healthz").withHost("10.1.2.3")
        .withPort(new io.fabric8.kubernetes.api.model.IntOrString(8080)).addNewHttpHeader("Host", "example.com")
        .addNewHttpHeader("X-Empty", null).endHttpGet().withTerminationGracePeriodSeconds(3L).endLivenessProbe()
        .withNewStartupProbe().withNewGrpc().withPort(9000).withService("shop.Cart").endGrpc().endStartupProbe()
        .endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);
    io.outpost.protocol.ProbeV1.ProbesV1 probes = edge.containers().get(0).probes();

    assertThat(probes.liveness().httpGet()).isEqualTo(new io.outpost.protocol.ProbeV1.HttpGetV1("/healthz", 8080,
        null, "10.1.2.3", java.util.List.of(new io.outpost.protocol.ProbeV1.HttpHeaderV1("Host", "example.com"),
            new io.outpost.protocol.ProbeV1.HttpHeaderV1("X-Empty", ""))));
    assertThat(probes.liveness().terminationGracePeriodSeconds()).isEqualTo(3L);
    assertThat(probes.startup().grpc()).as("run by the node as a kubelet runs it")
        .isEqualTo(new io.outpost.protocol.ProbeV1.GrpcV1(9000, "shop.Cart"));
    assertThat(edge.unsupportedFields()).isEmpty();
  }

  @Test
  void podLevelKubeletFieldsTravel() throws Exception {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").withUid("u1")
        .withLabels(java.util.Map.of("app", "web", "canary", "")).endMetadata()
        .withNewSpec().withNodeName("edge-1").withActiveDeadlineSeconds(600L).withServiceAccountName("robot")
        .addNewHostAlias().withIp("10.0.0.5").withHostnames("db", "db.local").endHostAlias()
        .addNewHostAlias().withIp("10.0.0.6").endHostAlias()
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.activeDeadlineSeconds()).isEqualTo(600L);
    assertThat(edge.serviceAccountName()).isEqualTo("robot");
    assertThat(edge.hostAliases()).as("an entry without hostnames writes nothing").containsExactly(
        new io.outpost.protocol.PodV1.HostAliasV1("10.0.0.5", java.util.List.of("db", "db.local")));
    assertThat(edge.labels()).as("labels always travel, empty values too").isEqualTo(
        java.util.Map.of("app", "web", "canary", ""));
    assertThat(edge.annotations()).isNull();
    VolumeTranslatorTest.roundTrip(edge);

    io.outpost.protocol.PodV1 bare = PodTranslator.toEdge(new io.fabric8.kubernetes.api.model.PodBuilder(pod)
        .editMetadata().withLabels(null).endMetadata().editSpec().withActiveDeadlineSeconds(null)
        .withServiceAccountName(null).withServiceAccount("legacy").withHostAliases().endSpec().build());
    assertThat(bare.serviceAccountName()).as("the deprecated alias").isEqualTo("legacy");
    assertThat(bare.labels()).isNull();
    assertThat(bare.hostAliases()).isNull();
  }

  @Test
  void annotationsTravelOnlyAsFarAsTheDownwardApiReadsThem() {
    java.util.Map<String, String> annotations = java.util.Map.of("team", "shop", "build", "42",
        "kubectl.kubernetes.io/last-applied-configuration", "{...large...}");
    io.fabric8.kubernetes.api.model.Pod none = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").withAnnotations(annotations).endMetadata()
        .withNewSpec().withNodeName("edge-1").addNewContainer().withName("app").withImage("nginx")
        .addNewEnv().withName("POD").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name")
        .endFieldRef().endValueFrom().endEnv().endContainer().endSpec().build();
    io.fabric8.kubernetes.api.model.Pod keyed = new io.fabric8.kubernetes.api.model.PodBuilder(none).editSpec()
        .addNewEphemeralContainer().withName("dbg").withImage("busybox").addNewEnv().withName("TEAM")
        .withNewValueFrom().withNewFieldRef().withFieldPath("metadata.annotations['team']").endFieldRef()
        .endValueFrom().endEnv().endEphemeralContainer().endSpec().build();
    io.fabric8.kubernetes.api.model.Pod whole = new io.fabric8.kubernetes.api.model.PodBuilder(none).editSpec()
        .addNewVolume().withName("info").withNewProjected().addNewSource().withNewDownwardAPI().addNewItem()
        .withPath("annotations").withNewFieldRef().withFieldPath("metadata.annotations").endFieldRef().endItem()
        .endDownwardAPI().endSource().endProjected().endVolume().endSpec().build();

    assertThat(PodTranslator.toEdge(none).annotations()).isNull();
    assertThat(PodTranslator.toEdge(keyed).annotations()).isEqualTo(java.util.Map.of("team", "shop"));
    assertThat(PodTranslator.toEdge(whole).annotations()).isEqualTo(annotations);
  }

  @Test
  void containerKubeletFieldsTravelOnlyWhenTheyDifferFromTheDefaults() throws Exception {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").withUid("u1").endMetadata()
        .withNewSpec().withNodeName("edge-1")
        .addNewInitContainer().withName("proxy").withImage("envoy").withRestartPolicy("Always").endInitContainer()
        .addNewContainer().withName("app").withImage("nginx").withTerminationMessagePath("/tmp/done")
        .withTerminationMessagePolicy("FallbackToLogsOnError").withStdin(true).withStdinOnce(true).withTty(true)
        .addNewEnv().withName("MEM").withNewValueFrom().withNewResourceFieldRef().withResource("limits.memory")
        .withDivisor(new io.fabric8.kubernetes.api.model.Quantity("1Mi")).endResourceFieldRef().endValueFrom()
        .endEnv().endContainer()
        .addNewContainer().withName("plain").withImage("nginx").withTerminationMessagePath("/dev/termination-log")
        .withTerminationMessagePolicy("File").withStdin(false).endContainer()
        .endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);
    io.outpost.protocol.PodV1.ContainerV1 app = edge.containers().get(0);

    assertThat(edge.initContainers().get(0).sidecar()).isTrue();
    assertThat(app.terminationMessagePath()).isEqualTo("/tmp/done");
    assertThat(app.fallbackToLogsOnError()).isTrue();
    assertThat(java.util.List.of(app.stdin(), app.stdinOnce(), app.tty())).containsOnly(true);
    assertThat(app.env()).containsExactly(new io.outpost.protocol.PodV1.EnvVarV1("MEM", null,
        new io.outpost.protocol.PodV1.EnvSourceV1(null, null, null,
            new io.outpost.protocol.PodV1.ResourceFieldRefV1(null, "limits.memory", "1Mi"))));
    assertThat(edge.containers().get(1)).as("defaults are not sent: such a container encodes as before")
        .isEqualTo(new io.outpost.protocol.PodV1.ContainerV1("plain", "nginx", null, null, null, null, null, null,
            null, null, null, null, null));
    VolumeTranslatorTest.roundTrip(edge);
  }

  @Test
  void ephemeralContainersTravelWithTheirTarget() throws Exception {
    io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").withUid("u1").endMetadata()
        .withNewSpec().withNodeName("edge-1")
        .addNewContainer().withName("app").withImage("nginx").endContainer()
        .addNewEphemeralContainer().withName("debugger-1").withImage("busybox").withTargetContainerName("app")
        .withCommand("sh").withStdin(true).withTty(true).addNewEnv().withName("X").withValue("1").endEnv()
        .endEphemeralContainer()
        .addNewEphemeralContainer().withName("debugger-2").withImage("busybox").withTargetContainerName("gone")
        .endEphemeralContainer()
        .endSpec().build();

    io.outpost.protocol.PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.ephemeralContainers()).hasSize(2);
    io.outpost.protocol.PodV1.ContainerV1 debugger = edge.ephemeralContainers().get(0);
    assertThat(debugger.name()).isEqualTo("debugger-1");
    assertThat(debugger.targetContainerName()).isEqualTo("app");
    assertThat(debugger.command()).containsExactly("sh");
    assertThat(debugger.env()).containsExactly(new io.outpost.protocol.PodV1.EnvVarV1("X", "1"));
    assertThat(debugger.stdin()).isTrue();
    assertThat(debugger.tty()).isTrue();
    assertThat(edge.ephemeralContainers().get(1).targetContainerName())
        .as("a target that is not a container of the pod is not sent").isNull();
    assertThat(edge.unsupported()).isNull();
    VolumeTranslatorTest.roundTrip(edge);
  }

  @Test
  void dnsPolicyDnsConfigAndServiceLinksAreSentAndTheDefaultsLeaveThePodAsBefore() {
    io.fabric8.kubernetes.api.model.Pod plain = new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata().withName("web").withNamespace("shop").endMetadata()
        .withNewSpec().withNodeName("edge-1").withDnsPolicy("ClusterFirst").withEnableServiceLinks(true)
        .addNewContainer().withName("app").withImage("nginx").endContainer().endSpec().build();
    io.outpost.protocol.PodV1 defaults = PodTranslator.toEdge(plain);
    assertThat(defaults.dnsPolicy()).isNull();
    assertThat(defaults.dnsConfig()).isNull();
    assertThat(defaults.enableServiceLinks()).isNull();
    assertThat(defaults.dnsPolicyOrDefault()).isEqualTo("ClusterFirst");
    assertThat(defaults.serviceLinks()).isTrue();

    for (String policy : java.util.List.of("ClusterFirstWithHostNet", "Default", "None")) {
      io.fabric8.kubernetes.api.model.Pod pod = new io.fabric8.kubernetes.api.model.PodBuilder(plain).editSpec()
          .withDnsPolicy(policy).endSpec().build();
      assertThat(PodTranslator.toEdge(pod).dnsPolicy()).isEqualTo(policy);
    }
    io.fabric8.kubernetes.api.model.Pod custom = new io.fabric8.kubernetes.api.model.PodBuilder(plain).editSpec()
        .withDnsPolicy("None").withEnableServiceLinks(false).withNewDnsConfig().withNameservers("192.0.2.53")
        .withSearches("shop.svc.cluster.local").addNewOption().withName("ndots").withValue("2").endOption()
        .addNewOption().withName("edns0").endOption().endDnsConfig().endSpec().build();
    io.outpost.protocol.PodV1 sent = PodTranslator.toEdge(custom);
    assertThat(sent.dnsConfig()).isEqualTo(new io.outpost.protocol.DnsConfigV1(java.util.List.of("192.0.2.53"),
        java.util.List.of("shop.svc.cluster.local"), java.util.List.of(
            new io.outpost.protocol.DnsConfigV1.OptionV1("ndots", "2"),
            new io.outpost.protocol.DnsConfigV1.OptionV1("edns0", null))));
    assertThat(sent.enableServiceLinks()).isFalse();
    assertThat(sent.unsupported()).isNull();
    assertThat(PodTranslator.dnsConfig(new io.fabric8.kubernetes.api.model.PodDNSConfig())).as("empty").isNull();
  }
}
