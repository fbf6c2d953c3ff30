package io.outpost.bridge.downstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.ProbeV1;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lifecycle hooks and the stop signal travel as the node needs them; what it cannot run is named, not dropped. */
class LifecycleTranslatorTest {

  private static PodBuilder pod() {
    return new PodBuilder().withNewMetadata().withName("web").withNamespace("shop").withUid("u1").endMetadata()
        .withNewSpec().withNodeName("edge-1").addNewContainer().withName("app").withImage("nginx")
        .addNewPort().withName("admin").withContainerPort(9090).endPort().endContainer().endSpec();
  }

  @Test
  void execHttpGetAndSleepHooksTravelWithNamedPortsResolved() throws Exception {
    Pod pod = pod().editSpec().editFirstContainer().withNewLifecycle()
        .withNewPostStart().withNewHttpGet().withPath("/warm").withPort(new IntOrString("admin")).withHost("127.0.0.1")
        .withScheme("HTTPS").addNewHttpHeader("X-Hook", "start").endHttpGet().endPostStart()
        .withNewPreStop().withNewExec().withCommand("nginx", "-s", "quit").endExec().endPreStop()
        .endLifecycle().endContainer().endSpec().build();

    PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.containers().get(0).lifecycle()).isEqualTo(new PodV1.LifecycleV1(
        new PodV1.HandlerV1(null, new ProbeV1.HttpGetV1("/warm", 9090, "HTTPS", "127.0.0.1",
            List.of(new ProbeV1.HttpHeaderV1("X-Hook", "start"))), null, null),
        new PodV1.HandlerV1(List.of("nginx", "-s", "quit"), null, null, null), null));
    Pod sleeping = pod().editSpec().editFirstContainer().withNewLifecycle().withNewPreStop().withNewSleep()
        .withSeconds(5L).endSleep().endPreStop().endLifecycle().endContainer().endSpec().build();
    assertThat(PodTranslator.toEdge(sleeping).containers().get(0).lifecycle())
        .isEqualTo(new PodV1.LifecycleV1(null, new PodV1.HandlerV1(null, null, 5L, null), null));
    VolumeTranslatorTest.roundTrip(edge);
  }

  @Test
  void aHandlerTheNodeCannotRunTravelsWithItsReasonSoTheHookFailsAsOnAKubelet() throws Exception {
    Pod pod = pod().editSpec().editFirstContainer().withNewLifecycle()
        .withNewPostStart().withNewTcpSocket().withPort(new IntOrString(80)).endTcpSocket().endPostStart()
        .withNewPreStop().withNewHttpGet().withPort(new IntOrString("nope")).endHttpGet().endPreStop()
        .endLifecycle().endContainer().endSpec().build();

    PodV1 edge = PodTranslator.toEdge(pod);

    assertThat(edge.containers().get(0).lifecycle()).isEqualTo(new PodV1.LifecycleV1(
        new PodV1.HandlerV1(null, null, null, "tcpSocket is not a lifecycle handler a kubelet runs"),
        new PodV1.HandlerV1(null, null, null, "httpGet port nope is not a port of the container"), null));
    assertThat(edge.unsupported()).as("as on a kubelet, the hook fails; the pod is not refused").isNull();
    VolumeTranslatorTest.roundTrip(edge);
  }

  @Test
  void theStopSignalOfANewerApiServerIsReadFromTheLifecycle() {
    KubernetesSerialization json = new KubernetesSerialization();
    String manifest = json.asJson(pod().editSpec().editFirstContainer().withNewLifecycle().endLifecycle()
        .endContainer().endSpec().build()).replace("\"lifecycle\":{", "\"lifecycle\":{\"stopSignal\":\"SIGUSR1\"");

    PodV1 edge = PodTranslator.toEdge(json.unmarshal(manifest, Pod.class));

    assertThat(edge.containers().get(0).lifecycle()).isEqualTo(new PodV1.LifecycleV1(null, null, "SIGUSR1"));
    assertThat(edge.unsupported()).isNull();
    assertThat(PodTranslator.toEdge(pod().editSpec().editFirstContainer().withNewLifecycle().endLifecycle()
        .endContainer().endSpec().build()).containers().get(0).lifecycle()).as("an empty lifecycle is none").isNull();
  }
}
