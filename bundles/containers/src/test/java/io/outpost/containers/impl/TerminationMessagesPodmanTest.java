package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecurityV1;
import io.outpost.testing.Podman;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Termination messages on real Podman, as {@code state.terminated.message} (and {@code lastState}) show them in
 * Kubernetes: the file at {@code terminationMessagePath}, {@code FallbackToLogsOnError}, and what a hostile container
 * can do with the file (make it huge, try to swap it for a symlink to a node file).
 */
class TerminationMessagesPodmanTest extends PodmanFixture {

  private static ContainerV1 app(String command, String path, String policy, Boolean readOnlyRoot) {
    SecurityV1.ContainerSecurityV1 security = readOnlyRoot == null ? null : new SecurityV1.ContainerSecurityV1(null,
        null, null, null, null, null, readOnlyRoot, null, null, null, null, null);
    return new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", command), null, null, null,
        null, null, null, null, null, security, null, path, policy, null, null, null, null, null);
  }

  private ObjectRef run(String name, String restartPolicy, ContainerV1 container) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, restartPolicy, 1L, null, null, List.of(container)));
    return ref;
  }

  private ContainerStatusV1 finished(ObjectRef ref) {
    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Succeeded".equals(s.phase())
        || "Failed".equals(s.phase()));
    return status.containers().get(0);
  }

  @Test
  void theFileAtTheDefaultAndACustomPathBecomesTheMessageAlsoOnAReadOnlyRoot() {
    ObjectRef plain = run("msg-default", "Never", app("printf 'disk full' > /dev/termination-log; exit 2", null,
        null, null));
    ObjectRef custom = run("msg-custom", "Never", app("printf 'all done' > /run/msg/why; exit 0", "/run/msg/why",
        "File", true));

    ContainerStatusV1 failed = finished(plain);
    assertThat(failed.state().message()).isEqualTo("disk full");
    assertThat(failed.state().exitCode()).isEqualTo(2);
    assertThat(failed.state().reason()).isEqualTo("Error");
    ContainerStatusV1 done = finished(custom);
    assertThat(done.state().message()).isEqualTo("all done");
    assertThat(done.state().reason()).isEqualTo("Completed");
  }

  @Test
  void fallbackToLogsOnErrorTakesTheLogsTailOnlyWhenTheFileIsEmptyAndTheContainerFailed() {
    ObjectRef logs = run("msg-logs", "Never", app("seq 1 200; exit 1", null, "FallbackToLogsOnError", null));
    ObjectRef file = run("msg-file-wins", "Never", app("seq 1 200; printf from-file > /dev/termination-log; exit 1",
        null, "FallbackToLogsOnError", null));
    ObjectRef ok = run("msg-ok", "Never", app("seq 1 200", null, "FallbackToLogsOnError", null));
    ObjectRef filePolicy = run("msg-file-policy", "Never", app("seq 1 200; exit 1", null, "File", null));

    String tail = finished(logs).state().message();
    StringBuilder expected = new StringBuilder();
    for (int i = 121; i <= 200; i++) {
      expected.append(i).append('\n');
    }
    assertThat(tail).as("the last 80 lines").isEqualTo(expected.toString());
    assertThat(finished(file).state().message()).isEqualTo("from-file");
    assertThat(finished(ok).state().message()).as("a container that succeeded has no fallback").isNull();
    assertThat(finished(filePolicy).state().message()).isNull();
  }

  @Test
  void theFallbackIsCappedAt2048Bytes() {
    ObjectRef ref = run("msg-long-lines", "Never", app("for i in $(seq 1 100); do printf '%0100d\\n' $i; done;"
        + " exit 1", null, "FallbackToLogsOnError", null));
    String message = finished(ref).state().message();
    assertThat(message.length()).isLessThanOrEqualTo(TerminationMessages.FALLBACK_BYTES);
    assertThat(message).endsWith(String.format("%0100d%n", 100));
  }

  @Test
  void aHostileContainerCannotMakeTheNodeReadOutsideItsFileNorReportMoreThan4096Bytes() throws Exception {
    // Tries to replace the file with symlinks to node files (refused: it is a mount point), then writes 1 MiB.
    ObjectRef ref = run("msg-hostile", "Never", app("ln -sf /etc/shadow /dev/termination-log;"
        + " rm -f /dev/termination-log; ln -s /etc/shadow /dev/termination-log;"
        + " head -c 1048576 /dev/zero | tr '\\0' x > /dev/termination-log; printf END >> /dev/termination-log;"
        + " exit 1", null, "FallbackToLogsOnError", null));

    ContainerStatusV1 status = finished(ref);
    assertThat(status.state().message()).hasSize(TerminationMessages.MAX_MESSAGE).endsWith("xxxEND")
        .doesNotContain("root:");
    Path file = volumes.resolve(TerminationMessages.DIR).resolve(ref.uid()).resolve("app");
    assertThat(Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();

    store.remove(ref.uid());
    reconciler.reconcile();
    assertThat(file.getParent()).as("removed with the pod").doesNotExist();
  }

  @Test
  void aSymlinkPlacedWhereTheNodeKeepsTheFileIsNeverFollowed() throws Exception {
    // The node's own check: should its file ever be a symlink (a compromised or confused writer), it is not read.
    Path dir = Files.createDirectories(volumes.resolve(TerminationMessages.DIR).resolve("some-uid"));
    Path secret = Files.writeString(dir.getParent().resolve("secret"), "node secret");
    Files.createSymbolicLink(dir.resolve("app"), secret);
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> TerminationMessages.tail(dir.resolve("app"))))
        .isInstanceOf(java.io.IOException.class);
  }

  @Test
  void aRestartedContainersNewRunDoesNotInheritTheMessageOfTheLastOne() {
    // Run 1 writes a message and fails; run 2 writes nothing and succeeds (OnFailure: it stays so).
    ObjectRef ref = run("msg-restart", "OnFailure", app("if [ -f /ran ]; then exit 0; fi; touch /ran;"
        + " printf 'first run failed' > /dev/termination-log; exit 1", null, null, null));
    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Succeeded".equals(s.phase()));
    ContainerStatusV1 app = status.containers().get(0);
    assertThat(app.restartCount()).isEqualTo(1);
    assertThat(app.lastState().message()).isEqualTo("first run failed");
    assertThat(app.state().message()).isNull();
    assertThat(app.state().reason()).isEqualTo("Completed");
  }
}
