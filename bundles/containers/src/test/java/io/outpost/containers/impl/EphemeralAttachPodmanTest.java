package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.containers.PodStreams;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamRequest;
import io.outpost.testing.Podman;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl debug} and {@code kubectl attach} against Podman: an ephemeral container runs once in the pod,
 * sharing its target's processes, is never restarted and is reported in {@code ephemeralContainers}; attach joins a
 * container's own stdin and output.
 */
class EphemeralAttachPodmanTest extends PodmanFixture {

  private static ObjectRef ref(String name) {
    return new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
  }

  private static ContainerV1 container(String name, List<String> command, Boolean stdin, Boolean stdinOnce,
      Boolean tty, String target) {
    return new ContainerV1(name, Podman.TEST_IMAGE, "IfNotPresent", command, null, null, null, null, null, null,
        null, null, null, null, null, null, null, stdin, stdinOnce, tty, target);
  }

  private PodV1 pod(List<ContainerV1> containers, List<ContainerV1> ephemeral) {
    return new PodV1(node, "Always", 1L, null, null, containers, null, null, null, null, null, null, null, null,
        null, null, ephemeral, null, null, null);
  }

  @Test
  void anEphemeralContainerRunsOnceInTheTargetsProcessNamespaceAndIsReported() {
    ObjectRef ref = ref("debugged");
    ContainerV1 app = container("app", List.of("sleep", "3600"), null, null, null, null);
    store.put(ref, pod(List.of(app), null));
    PodStatusReport running = reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));
    assertThat(running.ephemeralContainers()).as("none yet: not reported").isNull();
    String appId = containerId(ref, "app");

    // kubectl debug --target=app: added to the running pod's spec.
    store.put(ref, pod(List.of(app), List.of(container("debugger", List.of("sh", "-c", "ps; exit 3"), null, null,
        null, "app"))));
    PodStatusReport debugged = reconcileUntil(ref.uid(), s -> s.ephemeralContainers() != null
        && "terminated".equals(s.ephemeralContainers().get(0).state().kind()));
    ContainerStatusV1 status = debugged.ephemeralContainers().get(0);
    assertThat(status.name()).isEqualTo("debugger");
    assertThat(status.state().exitCode()).isEqualTo(3);
    assertThat(status.ready()).isFalse();
    assertThat(status.containerID()).startsWith("docker://");
    String debuggerId = containerId(ref, "debugger");
    assertThat(Podman.cli("logs", debuggerId)).as("it sees the target's processes").contains("sleep 3600");
    assertThat(Podman.cli("inspect", "--format", "{{.HostConfig.PidMode}}", debuggerId).trim())
        .isEqualTo("container:" + appId);
    assertThat(debugged.phase()).as("the pod's phase is its containers'").isEqualTo("Running");

    String finished = Podman.cli("inspect", "--format", "{{.State.FinishedAt}}", debuggerId).trim();
    for (int i = 0; i < 5; i++) {
      reconciler.reconcile();
    }
    assertThat(Podman.cli("inspect", "--format", "{{.State.FinishedAt}}", debuggerId).trim())
        .as("never restarted").isEqualTo(finished);
    assertThat(store.status(ref.uid()).ephemeralContainers().get(0).restartCount()).isZero();

    // Deleting the pod removes the ephemeral container before the target whose PID namespace it holds.
    store.remove(ref.uid());
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      reconciler.reconcile();
      return Podman.appContainersOf(ref.uid()).isEmpty();
    });
  }

  @Test
  void attachJoinsTheContainersOwnStdinAndOutput() throws Exception {
    ObjectRef ref = ref("attached");
    store.put(ref, pod(List.of(container("app", List.of("sh", "-c",
        "while read line; do echo got-$line; done; echo stdin-closed"), true, true, null, null),
        container("quiet", List.of("sleep", "3600"), null, null, null, null)), null));
    reconcileUntil(ref.uid(), s -> s.containers().stream().allMatch(c -> "running".equals(c.state().kind())));
    StreamOpener opener = new StreamOpener(new Settings(node, podman.host(), Duration.ofSeconds(10)), store,
        engine);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      AtomicReference<StreamEnd> ended = new AtomicReference<>();
      PodStreams.StreamOutput output = new PodStreams.StreamOutput() {
        @Override
        public synchronized void write(int channel, byte[] data, int offset, int length) {
          out.write(data, offset, length);
        }

        @Override
        public void end(StreamEnd end) {
          ended.compareAndSet(null, end);
        }
      };
      PodStreams.PodStream stream = opener.open(StreamRequest.attach("default", "attached", ref.uid(), "app", true,
          true, true, false), output);
      byte[] hello = "hello\n".getBytes(StandardCharsets.UTF_8);
      stream.write(hello, 0, hello.length);
      await().atMost(Duration.ofSeconds(30)).until(() -> text(out).contains("got-hello"));
      stream.closeInput(); // stdinOnce: the process sees the end of its input and exits
      await().atMost(Duration.ofSeconds(30)).until(() -> ended.get() != null);
      assertThat(ended.get().success()).as("attach ends with the process: %s", ended.get()).isTrue();
      assertThat(text(out)).contains("stdin-closed");

      assertThatThrownBy(() -> opener.open(StreamRequest.attach("default", "attached", ref.uid(), "quiet", true,
          true, true, false), output)).isInstanceOf(PodStreams.StreamException.class)
          .hasMessageContaining("stdin: true").satisfies(e -> assertThat(((PodStreams.StreamException) e).code())
              .isEqualTo(400));
    } finally {
      opener.close();
    }
  }

  private static String text(ByteArrayOutputStream out) {
    return out.toString(StandardCharsets.UTF_8); // synchronized with the writes
  }
}
