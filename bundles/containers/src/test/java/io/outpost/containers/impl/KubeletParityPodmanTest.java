package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.EnvVarV1;
import io.outpost.testing.Podman;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One pod life on real Podman — created with its image already present, started, crash-looped with back-off, then
 * killed on deletion — and the Events and status fields the node reports for it, compared with what a kubelet 1.32
 * writes for the same life. The expected values are written from the kubelet's source, not from Outpost's output:
 * <ul>
 *   <li>pkg/kubelet/images/image_manager.go {@code EnsureImageExists}: Normal Pulled "Container image %q already
 *       present on machine", on the container's reference, at every container start;
 *   <li>pkg/kubelet/kuberuntime/kuberuntime_container.go {@code startContainer}: Normal Created "Created container:
 *       %v", Normal Started "Started container %v"; {@code killContainer}: Normal Killing "Stopping container %s";
 *       events on {@code kubecontainer.GenerateContainerRef}: {@code fieldPath} {@code spec.containers{name}};
 *   <li>kuberuntime_manager.go {@code doBackOff}: Warning BackOff "Back-off restarting failed container %s in pod
 *       %s" ({@code format.Pod}: {@code name_namespace(uid)});
 *   <li>client-go tools/record/events_cache.go {@code eventLogger.eventObserve}: a repeat of the same event key
 *       raises the first Event's count and moves its lastTimestamp (one Event "x4 over 35s", not four);
 *   <li>status_manager.go {@code updateStatusInternal}: {@code startTime} is the time of the first status and is set
 *       whatever that status is (also an error); status/generate.go: PodReadyToStartContainers from the sandbox.
 * </ul>
 * The manager's clock is a test clock, so that back-off delays pass when the test says and the timestamps are exact.
 */
class KubeletParityPodmanTest {
  /** Fails three times, then runs: a crash loop that ends, as the test needs it. */
  private static final String CRASH_THREE_TIMES_THEN_RUN =
      "n=$(cat /runs 2>/dev/null || echo 0); echo $((n+1)) > /runs; [ $n -ge 3 ] && exec sleep 3600; exit 1";

  @TempDir
  static Path dir;
  static Podman podman;

  private String node;
  private FakeStore store;
  private TestClock clock;
  private Reconciler reconciler;
  private DockerEngine engine;

  @BeforeAll
  static void startPodman() {
    podman = Podman.start(dir);
  }

  @AfterAll
  static void stopPodman() {
    podman.close();
  }

  @BeforeEach
  void setUp() {
    node = "parity-" + UUID.randomUUID().toString().substring(0, 8);
    store = new FakeStore();
    clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    engine = DockerEngine.connect(podman.host());
    reconciler = new Reconciler(new Settings(node, podman.host(), Duration.ofSeconds(10))
        .withInfra(Podman.TEST_IMAGE, List.of("sleep", "2147483647"))
        .withVolumes(dir.resolve("volumes"), List.of()), store, engine, clock, () -> {});
  }

  @AfterEach
  void tearDown() {
    reconciler.close();
    engine.close();
    Podman.removeContainersLabelled(Naming.NODE, node);
  }

  @Test
  void aPodLifeReportsTheEventsAndStatusAKubeletWrites() {
    Instant t0 = clock.instant();
    ObjectRef ref = new ObjectRef("Pod", "default", "web", UUID.randomUUID().toString(), "1");
    store.put(ref, pod(null, null));

    // Started, exited, restarted at once (no back-off yet), exited again: back-off.
    PodStatusReport backingOff = reconcileUntil(ref.uid(), s -> waitingReason(s, "CrashLoopBackOff")
        && s.containers().get(0).restartCount() == 1);
    assertThat(backingOff.startTime()).as("startTime: the first status's time").isEqualTo(t0.toString());
    assertThat(backingOff.sandboxReady()).as("PodReadyToStartContainers: the sandbox runs").isTrue();
    assertThat(backingOff.phase()).isEqualTo("Running");
    assertThat(backingOff.containers().get(0).state().message())
        .isEqualTo("back-off 10s restarting failed container=web pod=web_default(" + ref.uid() + ")");
    assertThat(backingOff.containers().get(0).lastState().exitCode()).isEqualTo(1);
    assertThat(backingOff.containers().get(0).lastState().reason()).isEqualTo("Error");

    clock.advance(Duration.ofSeconds(12)); // past the 10 s back-off (+ at most 10 % jitter)
    reconcileUntil(ref.uid(), s -> waitingReason(s, "CrashLoopBackOff")
        && s.containers().get(0).restartCount() == 2);
    clock.advance(Duration.ofSeconds(23)); // past the 20 s back-off
    PodStatusReport running = reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind())
        && s.containers().get(0).restartCount() == 3);
    assertThat(running.startTime()).as("startTime never moves").isEqualTo(t0.toString());
    assertThat(running.containers().get(0).ready()).isTrue();
    assertThat(running.podIP()).isNotBlank();

    // Deleted with a grace period: SIGTERM (sleep as PID 1 ignores it), SIGKILL once the grace period is over.
    clock.advance(Duration.ofSeconds(5));
    store.put(ref, pod(clock.instant().toString(), 30L));
    reconciler.reconcile();
    clock.advance(Duration.ofSeconds(31));
    PodStatusReport stopped = reconcileUntil(ref.uid(), PodStatusReport::stopped);
    assertThat(stopped.sandboxReady()).as("PodReadyToStartContainers: False once the sandbox is gone").isFalse();
    assertThat(stopped.startTime()).isEqualTo(t0.toString());

    String image = "\"" + Podman.TEST_IMAGE + "\"";
    String web = "spec.containers{web}";
    assertThat(folded()).containsExactly(
        // dns.go GetPodDNS: a node without cluster DNS (no pod network here) warns once per sandbox it creates.
        expected("Warning", "MissingClusterDNS", null, "pod: \"web_default(" + ref.uid() + ")\". kubelet does not"
            + " have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to"
            + " \"Default\" policy.", 1, t0, t0),
        expected("Normal", "Pulled", web, "Container image " + image + " already present on machine", 4, t0,
            t0.plusSeconds(35)),
        expected("Normal", "Created", web, "Created container: web", 4, t0, t0.plusSeconds(35)),
        expected("Normal", "Started", web, "Started container web", 4, t0, t0.plusSeconds(35)),
        expected("Warning", "BackOff", web, "Back-off restarting failed container web in pod web_default("
            + ref.uid() + ")", 2, t0, t0.plusSeconds(12)),
        expected("Normal", "Killing", web, "Stopping container web", 1, t0.plusSeconds(40), t0.plusSeconds(40)));
    assertThat(store.events).allSatisfy(e -> {
      assertThat(e.node()).isEqualTo(node);
      assertThat(e.ref().uid()).isEqualTo(ref.uid());
    });
  }

  @Test
  void aFirstStatusThatIsAnErrorHasAStartTimeAndTheEventNamesTheContainer() {
    Instant t0 = clock.instant();
    ObjectRef ref = new ObjectRef("Pod", "default", "misconfigured", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 30L, null, null, List.of(new ContainerV1("web", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, List.of(new EnvVarV1("MODE", null,
            new PodV1.EnvSourceV1(new PodV1.KeyRefV1("settings", "mode", null), null, null)))))));

    PodStatusReport first = reconcileUntil(ref.uid(), s -> waitingReason(s, "CreateContainerConfigError"));

    assertThat(store.recorded.get(0).containers().get(0).state().reason())
        .as("the first status the node recorded is the error").isEqualTo("CreateContainerConfigError");
    assertThat(store.recorded.get(0).startTime()).isEqualTo(t0.toString());
    assertThat(first.phase()).isEqualTo("Pending");
    assertThat(first.sandboxReady()).isTrue();
    // kuberuntime_container.go startContainer: Warning Failed "Error: %v" on the container; the kubelet's message
    // for a missing ConfigMap is `configmap "settings" not found`.
    assertThat(folded()).contains(expected("Warning", "Failed", "spec.containers{web}",
        "Error: configmap \"settings\" not found", 1, t0, t0));
  }

  private PodV1 pod(String deletionTimestamp, Long deletionGracePeriodSeconds) {
    return new PodV1(node, "Always", 30L, deletionTimestamp, deletionGracePeriodSeconds, List.of(new ContainerV1(
        "web", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", CRASH_THREE_TIMES_THEN_RUN), null, null,
        List.of())));
  }

  private static boolean waitingReason(PodStatusReport status, String reason) {
    return status.containers().get(0).state() != null && reason.equals(status.containers().get(0).state().reason());
  }

  private PodStatusReport reconcileUntil(String uid, Predicate<PodStatusReport> condition) {
    return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      reconciler.reconcile();
      return store.status(uid);
    }, status -> status != null && condition.test(status));
  }

  /** What one Event per id ends as, in order of first appearance: what the outbox and the bridge make of them. */
  private List<String> folded() {
    Map<String, EventReport> byId = new LinkedHashMap<>();
    for (EventReport event : store.events) {
      EventReport before = byId.get(event.id());
      assertThat(before == null || event.count() > before.count()).as("a repeat raises the count").isTrue();
      byId.put(event.id(), event);
    }
    List<EventReport> events = new ArrayList<>(byId.values());
    events.sort(Comparator.comparing(EventReport::firstTimestamp));
    return events.stream().map(e -> expected(e.type(), e.reason(), e.fieldPath(), e.message(), e.count(),
        Instant.parse(e.firstTimestamp()), Instant.parse(e.lastTimestamp()))).toList();
  }

  private static String expected(String type, String reason, String fieldPath, String message, int count,
      Instant first, Instant last) {
    return type + " " + reason + " " + fieldPath + " \"" + message + "\" x" + count + " " + first + ".." + last;
  }

  /** A clock the test moves. */
  private static final class TestClock extends Clock {
    private volatile Instant now;

    TestClock(Instant now) {
      this.now = now;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
