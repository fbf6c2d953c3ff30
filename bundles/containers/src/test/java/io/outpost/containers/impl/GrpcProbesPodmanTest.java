package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.ProbeV1;
import io.outpost.protocol.SecurityV1.PodSecurityV1;
import io.outpost.testing.Podman;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC probes of real containers. The pods use the host's network (the node allows it here), so their pod IP is the
 * node's address, where this test serves grpc-java's health service: the probe reaches "the pod" exactly as it
 * reaches a gRPC server in a pod's own network namespace, and the test sets the health the server reports.
 */
class GrpcProbesPodmanTest extends PodmanFixture {
  private Server server;
  private HealthStatusManager health;
  private final AtomicInteger checks = new AtomicInteger();

  @BeforeEach
  void nodeAllowsHostNetworkAndServesHealth() throws Exception {
    reconciler.close();
    reconciler = new Reconciler(new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647")).withVolumes(volumes, List.of(allowed))
        .withSecurity(new NodeSecurity(false, true, false, false, List.of(), true, NodeSecurity.defaultSeccompDir())),
        store, engine, Clock.systemUTC(), () -> { });
    health = new HealthStatusManager();
    server = NettyServerBuilder.forAddress(new InetSocketAddress(HostAddress.primary(), 0))
        .addService(health.getHealthService()).intercept(new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
              ServerCallHandler<Q, R> next) {
            checks.incrementAndGet();
            return next.startCall(call, headers);
          }
        }).build().start();
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  private ProbeV1 grpc(String service) {
    return new ProbeV1(null, null, null, null, 0, 1, 1, 1, 1, new ProbeV1.GrpcV1(server.getPort(), service), null);
  }

  private ObjectRef run(String name, ProbeV1.ProbesV1 probes) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null, null, null, null, null, probes)))
        .withSecurityContext(new PodSecurityV1(null, null, null, null, null, null, null, null, true, null, null,
            null, null)));
    return ref;
  }

  private ContainerStatusV1 awaitContainer(ObjectRef ref, Predicate<ContainerStatusV1> condition) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      reconciler.reconcile();
      PodStatusReport status = store.status(ref.uid());
      return status == null || status.containers().isEmpty() ? null : status.containers().get(0);
    }, c -> c != null && condition.test(c));
  }

  @Test
  void livenessServingKeepsTheContainerNotServingRestartsItWithTheKubeletsEvent() {
    health.setStatus("outpost.Live", ServingStatus.SERVING);
    ObjectRef ref = run("grpc-live", new ProbeV1.ProbesV1(grpc("outpost.Live"), null, null));
    awaitContainer(ref, c -> "running".equals(c.state().kind()));
    assertThat(store.status(ref.uid()).podIP()).as("the node's address").isEqualTo(HostAddress.primary());

    int before = checks.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> checks.get() >= before + 3);
    reconciler.reconcile();
    ContainerStatusV1 healthy = store.status(ref.uid()).containers().get(0);
    assertThat(healthy.restartCount()).as("three SERVING answers later").isZero();
    assertThat(healthy.state().kind()).isEqualTo("running");
    assertThat(store.events).noneSatisfy(e -> assertThat(e.reason()).isEqualTo("Unhealthy"));

    health.setStatus("outpost.Live", ServingStatus.NOT_SERVING);
    awaitContainer(ref, c -> c.restartCount() >= 1);
    health.setStatus("outpost.Live", ServingStatus.SERVING);
    ContainerStatusV1 restarted = awaitContainer(ref, c -> c.restartCount() >= 1
        && "running".equals(c.state().kind()));
    assertThat(restarted.lastState().exitCode()).as("killed by the prober").isEqualTo(137);
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.type()).isEqualTo(EventReport.WARNING);
      assertThat(e.reason()).isEqualTo("Unhealthy");
      assertThat(e.message()).isEqualTo("Liveness probe failed: service unhealthy (responded with \"NOT_SERVING\")");
      assertThat(e.fieldPath()).isEqualTo("spec.containers{app}");
    });
    assertThat(store.events).anySatisfy(e -> {
      assertThat(e.reason()).isEqualTo("Killing");
      assertThat(e.message()).isEqualTo("Container app failed liveness probe, will be restarted");
    });
  }

  @Test
  void readinessFollowsTheServingStatusBothWaysWithoutRestarts() {
    health.setStatus("outpost.Ready", ServingStatus.NOT_SERVING);
    ObjectRef ref = run("grpc-ready", new ProbeV1.ProbesV1(null, grpc("outpost.Ready"), null));
    ContainerStatusV1 running = awaitContainer(ref, c -> "running".equals(c.state().kind()));
    assertThat(running.ready()).isFalse();

    health.setStatus("outpost.Ready", ServingStatus.SERVING);
    awaitContainer(ref, ContainerStatusV1::ready);
    health.setStatus("outpost.Ready", ServingStatus.NOT_SERVING);
    ContainerStatusV1 unready = awaitContainer(ref, c -> !c.ready());
    assertThat(unready.restartCount()).as("readiness never restarts").isZero();
    assertThat(store.events).anySatisfy(e -> assertThat(e.message())
        .isEqualTo("Readiness probe failed: service unhealthy (responded with \"NOT_SERVING\")"));
  }

  @Test
  void aStartupProbeGatesLivenessUntilTheServiceServesAndAnUnknownServiceFailsAsNotFound() {
    ObjectRef ref = run("grpc-startup", new ProbeV1.ProbesV1(grpc("outpost.Live"), null,
        new ProbeV1(null, null, null, null, 0, 1, 1, 1, 1000, new ProbeV1.GrpcV1(server.getPort(),
            "outpost.Started"), null)));
    awaitContainer(ref, c -> "running".equals(c.state().kind()));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(store.events).anySatisfy(e -> assertThat(
        e.message()).isEqualTo("Startup probe failed: error: health rpc probe failed: rpc error: code = NotFound "
        + "desc = unknown service outpost.Started")));
    assertThat(store.events).as("liveness waits for startup")
        .noneSatisfy(e -> assertThat(e.message()).startsWith("Liveness probe failed"));

    health.setStatus("outpost.Started", ServingStatus.SERVING);
    // Liveness now runs: the unknown service "outpost.Live" fails it and the container is restarted.
    ContainerStatusV1 restarted = awaitContainer(ref, c -> c.restartCount() >= 1);
    assertThat(restarted.lastState().kind()).isEqualTo("terminated");
    assertThat(store.events).anySatisfy(e -> assertThat(e.message()).isEqualTo("Liveness probe failed: error: "
        + "health rpc probe failed: rpc error: code = NotFound desc = unknown service outpost.Live"));
  }
}
