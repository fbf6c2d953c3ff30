package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.ProbeV1;
import io.outpost.testing.Podman;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Probes against real containers: readiness drives ready, a failing liveness probe restarts the container. */
class ProbesPodmanTest extends PodmanFixture {

  private static ProbeV1 exec(String... command) {
    return new ProbeV1(List.of(command), null, null, null, 0, 1, 2, 1, 1);
  }

  private ObjectRef run(String name, String command, ProbeV1.ProbesV1 probes) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sh", "-c", command), null, null, null, null, null, null, null, probes))));
    return ref;
  }

  private PodStatusReport.ContainerStatusV1 awaitContainer(ObjectRef ref,
      java.util.function.Predicate<PodStatusReport.ContainerStatusV1> condition) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      reconciler.reconcile();
      PodStatusReport status = store.status(ref.uid());
      return status == null ? null : status.containers().get(0);
    }, c -> c != null && condition.test(c));
  }

  @Test
  void readinessDecidesReadyBothWays() {
    ObjectRef ref = run("gated", "exec sleep 3600", new ProbeV1.ProbesV1(null, exec("test", "-f", "/tmp/ready"),
        null));

    PodStatusReport.ContainerStatusV1 running = awaitContainer(ref, c -> "running".equals(c.state().kind()));
    assertThat(running.ready()).as("not ready before the probe passes").isFalse();

    exec(ref, "app", "touch", "/tmp/ready");
    awaitContainer(ref, PodStatusReport.ContainerStatusV1::ready);

    exec(ref, "app", "rm", "/tmp/ready");
    PodStatusReport.ContainerStatusV1 unready = awaitContainer(ref, c -> !c.ready());
    assertThat(unready.state().kind()).as("readiness never restarts").isEqualTo("running");
    assertThat(unready.restartCount()).isZero();
    assertThat(store.events).anySatisfy(e -> assertThat(e.message()).startsWith("Readiness probe failed"));
  }

  @Test
  void aFailingLivenessProbeKillsTheContainerAndItIsRestarted() {
    // initialDelaySeconds 2: the first attempt must not race the shell creating the file.
    ObjectRef ref = run("sick", "touch /tmp/alive && exec sleep 3600", new ProbeV1.ProbesV1(new ProbeV1(
        List.of("test", "-f", "/tmp/alive"), null, null, null, 2, 1, 2, 1, 1), null, null));
    awaitContainer(ref, c -> "running".equals(c.state().kind()) && c.ready());

    exec(ref, "app", "rm", "/tmp/alive");

    PodStatusReport.ContainerStatusV1 restarted = awaitContainer(ref, c -> c.restartCount() == 1
        && "running".equals(c.state().kind()));
    assertThat(restarted.lastState().kind()).isEqualTo("terminated");
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("Killing");
      assertThat(e.message()).contains("failed liveness probe, will be restarted");
    });
  }

  @Test
  void livenessProbingGoesOnAfterEveryRestart() {
    // Always fails: each run is killed, and only probing every new run can take the count past 1.
    ObjectRef ref = run("doomed", "exec sleep 3600", new ProbeV1.ProbesV1(exec("false"), null, null));

    awaitContainer(ref, c -> c.restartCount() >= 2);
    PodStatusReport.ContainerStatusV1 third = await().atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200)).until(() -> {
          reconciler.reconcile();
          return store.status(ref.uid()).containers().get(0);
        }, c -> c.restartCount() >= 3);
    assertThat(third.lastState().kind()).isEqualTo("terminated");
    assertThat(third.lastState().exitCode()).as("killed by the prober").isEqualTo(137);
    assertThat(store.events.stream().filter(e -> "Killing".equals(e.reason())
        && e.message().contains("failed liveness probe")).count()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void afterALivenessRestartReadinessStartsOverFromNotReady() {
    // Each run starts without the files: readiness waits for /tmp/ready, liveness fails once /tmp/dead exists.
    ObjectRef ref = run("phoenix", "rm -f /tmp/ready /tmp/dead && exec sleep 3600", new ProbeV1.ProbesV1(
        exec("test", "!", "-f", "/tmp/dead"), exec("test", "-f", "/tmp/ready"), null));
    awaitContainer(ref, c -> "running".equals(c.state().kind()) && !c.ready());
    exec(ref, "app", "touch", "/tmp/ready");
    awaitContainer(ref, PodStatusReport.ContainerStatusV1::ready);

    exec(ref, "app", "touch", "/tmp/dead");
    PodStatusReport.ContainerStatusV1 restarted = awaitContainer(ref, c -> c.restartCount() == 1
        && "running".equals(c.state().kind()) && !c.ready());
    assertThat(restarted.lastState().kind()).isEqualTo("terminated");

    exec(ref, "app", "touch", "/tmp/ready");
    awaitContainer(ref, c -> c.restartCount() == 1 && c.ready());
    exec(ref, "app", "touch", "/tmp/dead");
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
      reconciler.reconcile();
      return store.status(ref.uid()).containers().get(0);
    }, c -> c.restartCount() == 2 && "running".equals(c.state().kind()) && !c.ready());
  }

  @Test
  void httpAndTcpProbesReachThePodIpAndAnUnsupportedProbeNeverPasses() {
    ObjectRef web = run("web", "echo ok > /tmp/index.html && exec httpd -f -p 8080 -h /tmp",
        new ProbeV1.ProbesV1(new ProbeV1(null, null, 8080, null, 0, 1, 1, 1, 3),
            new ProbeV1(null, new ProbeV1.HttpGetV1("/index.html", 8080, null), null, null, 0, 1, 1, 1, 1), null));
    awaitContainer(web, PodStatusReport.ContainerStatusV1::ready);

    ObjectRef grpc = run("grpc", "exec sleep 3600", new ProbeV1.ProbesV1(null,
        new ProbeV1(null, null, null, "gRPC probes are not supported on edge nodes", 0, 1, 1, 1, 1), null));
    awaitContainer(grpc, c -> "running".equals(c.state().kind()));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(store.events)
        .anySatisfy(e -> assertThat(e.message()).contains("gRPC probes are not supported")));
    reconciler.reconcile();
    assertThat(store.status(grpc.uid()).containers().get(0).ready()).isFalse();
    assertThat(store.status(web.uid()).containers().get(0).restartCount()).isZero();
  }
}
