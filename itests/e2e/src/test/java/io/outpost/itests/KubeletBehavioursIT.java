package io.outpost.itests;

import static io.outpost.itests.OutpostStack.PATIENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.outpost.testing.Podman;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Kubelet behaviours of issue 21 through the whole chain — the pod written to the API server, translated by the
 * bridge, run by the built edge distribution in Podman — judged by what Kubernetes shows: statuses, conditions,
 * Events. What a container saw (its environment, its downward-API files, its /etc/hosts) comes back as its
 * termination message, so even that is read from the Pod's status, as a user would.
 */
class KubeletBehavioursIT extends StackTest {

  @Test
  void initContainersThatCompletedAreReportedReadyAndThePodInitialized() {
    create(new PodBuilder().withNewMetadata().withName("init").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(1L)
        .addNewInitContainer().withName("prepare").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c", "echo ok")
        .endInitContainer()
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer()
        .endSpec().build());

    Pod running = await("init done, app running").atMost(PATIENCE).until(() -> stack.pod("init"),
        p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && condition(p, "Ready") != null
            && "True".equals(condition(p, "Ready").getStatus()));
    ContainerStatus prepare = running.getStatus().getInitContainerStatuses().get(0);
    assertThat(prepare.getReady()).as("a completed init container is ready, as a kubelet reports it").isTrue();
    assertThat(prepare.getState().getTerminated().getReason()).isEqualTo("Completed");
    assertThat(prepare.getState().getTerminated().getExitCode()).isZero();
    assertThat(condition(running, "Initialized").getStatus()).isEqualTo("True");
  }

  @Test
  void whatTheContainerSawComesBackAsItsTerminationMessage() {
    String script = "{ echo \"app=$APP mem=$MEM ns=$NS\"; cat /etc/podinfo/labels; echo; grep db.local /etc/hosts; }"
        + " > /dev/termination-log";
    create(new PodBuilder().withNewMetadata().withName("saw").withNamespace("default")
        .withLabels(Map.of("app", "shop", "tier", "front")).endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
        .addNewHostAlias().withIp("10.1.2.3").withHostnames("db.local").endHostAlias()
        .addNewVolume().withName("podinfo").withNewDownwardAPI().addNewItem().withPath("labels")
        .withNewFieldRef().withFieldPath("metadata.labels").endFieldRef().endItem().endDownwardAPI().endVolume()
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sh", "-c", script)
        .withNewResources().addToLimits("memory", new Quantity("64Mi")).endResources()
        .addNewEnv().withName("APP").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.labels['app']")
        .endFieldRef().endValueFrom().endEnv()
        .addNewEnv().withName("NS").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.namespace")
        .endFieldRef().endValueFrom().endEnv()
        .addNewEnv().withName("MEM").withNewValueFrom().withNewResourceFieldRef().withResource("limits.memory")
        .withDivisor(new Quantity("1Mi")).endResourceFieldRef().endValueFrom().endEnv()
        .addNewVolumeMount().withName("podinfo").withMountPath("/etc/podinfo").endVolumeMount()
        .endContainer().endSpec().build());

    Pod done = await("the container ran to completion").atMost(PATIENCE).until(() -> stack.pod("saw"),
        p -> p.getStatus() != null && "Succeeded".equals(p.getStatus().getPhase())
            && p.getStatus().getContainerStatuses() != null && !p.getStatus().getContainerStatuses().isEmpty()
            && p.getStatus().getContainerStatuses().get(0).getState().getTerminated() != null);
    String message = done.getStatus().getContainerStatuses().get(0).getState().getTerminated().getMessage();
    assertThat(message).as("the termination message").isNotNull()
        .contains("app=shop mem=64 ns=default")
        .contains("app=\"shop\"").contains("tier=\"front\"")
        .containsPattern("10\\.1\\.2\\.3\\s+db\\.local");
  }

  @Test
  void aFailingPostStartHookIsAWarningEventAndTheContainerIsRestarted() {
    Pod pod = create(new PodBuilder().withNewMetadata().withName("hook").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(1L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600")
        .withNewLifecycle().withNewPostStart().withNewExec().withCommand("sh", "-c", "exit 3").endExec()
        .endPostStart().endLifecycle().endContainer().endSpec().build());
    String uid = pod.getMetadata().getUid();

    await("FailedPostStartHook reported").atMost(PATIENCE).untilAsserted(() -> assertThat(events(uid))
        .anySatisfy(e -> {
          assertThat(e.getReason()).isEqualTo("FailedPostStartHook");
          assertThat(e.getType()).isEqualTo("Warning");
        }));
    await("the container restarted after its hook failed").atMost(PATIENCE).untilAsserted(() ->
        assertThat(stack.pod("hook").getStatus().getContainerStatuses().get(0).getRestartCount()).isPositive());
  }

  @Test
  void aPodPastItsActiveDeadlineFailsWithDeadlineExceeded() {
    create(new PodBuilder().withNewMetadata().withName("deadline").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Always").withTerminationGracePeriodSeconds(1L)
        .withActiveDeadlineSeconds(5L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer()
        .endSpec().build());

    Pod failed = await("failed by its deadline").atMost(PATIENCE).until(() -> stack.pod("deadline"),
        p -> p.getStatus() != null && "Failed".equals(p.getStatus().getPhase()));
    assertThat(failed.getStatus().getReason()).isEqualTo("DeadlineExceeded");
    assertThat(failed.getStatus().getMessage()).isEqualTo("Pod was active on the node longer than the specified"
        + " deadline");
  }

  @Test
  void aJobLikePodWithASidecarSucceedsWhenItsMainContainerIsDone() {
    create(new PodBuilder().withNewMetadata().withName("sidecar").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
        .addNewInitContainer().withName("proxy").withImage(Podman.TEST_IMAGE).withRestartPolicy("Always")
        .withCommand("sleep", "3600").endInitContainer()
        .addNewContainer().withName("job").withImage(Podman.TEST_IMAGE)
        .withCommand("sh", "-c", "echo work done > /dev/termination-log").endContainer()
        .endSpec().build());

    Pod done = await("the job-like pod succeeded").atMost(PATIENCE).until(() -> stack.pod("sidecar"),
        p -> p.getStatus() != null && "Succeeded".equals(p.getStatus().getPhase()));
    ContainerStatus job = done.getStatus().getContainerStatuses().get(0);
    assertThat(job.getState().getTerminated().getExitCode()).isZero();
    assertThat(job.getState().getTerminated().getMessage()).isEqualTo("work done\n");
  }

  @Test
  void aProjectedServiceAccountTokenIsRequestedForThePodAndMountedWithItsCaAndNamespace() {
    // What kube-apiserver's ServiceAccount admission injects into every pod, and the TokenRequest subresource the
    // mock does not model, answered here as kube-apiserver does: a token bound to the pod the request names.
    stack.configMap("kube-root-ca.crt", Map.of("ca.crt", "-----BEGIN CERTIFICATE-----\nMIIBe2e\n"
        + "-----END CERTIFICATE-----\n"));
    stack.kubernetes.expect().post().withPath("/api/v1/namespaces/default/serviceaccounts/default/token")
        .andReply(201, request -> {
          io.fabric8.kubernetes.api.model.authentication.TokenRequest asked =
              io.fabric8.kubernetes.client.utils.Serialization.unmarshal(request.getUtf8Body(),
                  io.fabric8.kubernetes.api.model.authentication.TokenRequest.class);
          String token = "eyJhbGciOiJSUzI1NiJ9.bound-to-" + asked.getSpec().getBoundObjectRef().getName() + "-"
              + asked.getSpec().getExpirationSeconds() + ".c2ln";
          return io.fabric8.kubernetes.client.utils.Serialization.asJson(
              new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder(asked).withNewStatus()
                  .withToken(token).withExpirationTimestamp(java.time.Instant.now().plusSeconds(
                      asked.getSpec().getExpirationSeconds()).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                      .toString()).endStatus().build());
        }).always();
    String dir = "/var/run/secrets/kubernetes.io/serviceaccount";
    create(new PodBuilder().withNewMetadata().withName("tok").withNamespace("default").endMetadata()
        .withNewSpec().withNodeName(stack.node).withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
        .withServiceAccountName("default")
        .addNewVolume().withName("kube-api-access-e2e").withNewProjected().withDefaultMode(420)
        .addNewSource().withNewServiceAccountToken().withExpirationSeconds(3607L).withPath("token")
        .endServiceAccountToken().endSource()
        .addNewSource().withNewConfigMap().withName("kube-root-ca.crt").addNewItem().withKey("ca.crt")
        .withPath("ca.crt").endItem().endConfigMap().endSource()
        .addNewSource().withNewDownwardAPI().addNewItem().withPath("namespace").withNewFieldRef()
        .withFieldPath("metadata.namespace").endFieldRef().endItem().endDownwardAPI().endSource()
        .endProjected().endVolume()
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE)
        .withCommand("sh", "-c", "{ cat " + dir + "/token; echo; cat " + dir + "/namespace; echo; head -1 " + dir
            + "/ca.crt; } > /dev/termination-log")
        .addNewVolumeMount().withName("kube-api-access-e2e").withMountPath(dir).withReadOnly(true).endVolumeMount()
        .endContainer().endSpec().build());

    Pod done = await("the container read its token").atMost(PATIENCE).until(() -> stack.pod("tok"),
        p -> p.getStatus() != null && "Succeeded".equals(p.getStatus().getPhase()));
    String message = done.getStatus().getContainerStatuses().get(0).getState().getTerminated().getMessage();
    assertThat(message).as("token bound to the pod with the lifetime asked, then namespace and CA")
        .isEqualTo("eyJhbGciOiJSUzI1NiJ9.bound-to-tok-3607.c2ln\ndefault\n-----BEGIN CERTIFICATE-----\n");
  }

  private Pod create(Pod pod) {
    return stack.client.pods().inNamespace("default").resource(pod).create();
  }

  private static PodCondition condition(Pod pod, String type) {
    return pod.getStatus().getConditions() == null ? null : pod.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }

  private List<Event> events(String uid) {
    return stack.client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> uid.equals(e.getInvolvedObject().getUid())).toList();
  }
}
