package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.PodStatusReport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes edge pod status to Kubernetes the way a kubelet does: only through the status subresource, only when it
 * changed, and it completes graceful deletions — once the edge reports a deleting pod's containers stopped, the pod
 * is deleted with grace period 0 (a real API server never removes a gracefully deleted pod by itself).
 *
 * <p>The status is the kubelet's (1.32), field by field: conditions in the kubelet's order with its reasons and
 * messages (kubelet_pods.go {@code generateAPIPodStatus}, status/generate.go), {@code hostIP}/{@code hostIPs} the
 * node's own addresses ({@link NodeHostIPs}), and {@code startTime} never changed once set (status_manager.go
 * {@code updateStatusInternal}). Conditions other controllers own are kept, as the kubelet keeps them. Only what the
 * node may claim is written ({@link StatusClaims}).
 */
final class PodStatusWriter {
  private static final Logger LOG = LoggerFactory.getLogger(PodStatusWriter.class);
  /** Status PUTs per report when another writer keeps changing the pod in between (each after a fresh read). */
  private static final int ATTEMPTS = 3;

  private final KubernetesClient client;
  private final Metrics metrics;
  private final StatusClaims claims;
  /** Refusals per node and reason, for the log's rate (nodes × seven reasons at most). */
  private final Map<String, AtomicLong> refusals = new ConcurrentHashMap<>();

  PodStatusWriter(KubernetesClient client, Metrics metrics, StatusClaims claims) {
    this.client = client;
    this.metrics = metrics;
    this.claims = claims;
  }

  /**
   * Writes what the report may claim ({@link StatusClaims}); each refused claim is counted
   * ({@code outpost_bridge_rejected_total{reason}}) and logged, and leaves what the pod shows for that field.
   * {@code hostIPs}: the node's own addresses, primary first (empty if it reported none yet).
   */
  void write(PodStatusReport report, Pod current, List<String> hostIPs) {
    StatusClaims.Checked checked = claims.check(report, current, hostIPs);
    for (StatusClaims.Refusal refusal : checked.refusals()) {
      metrics.increment("outpost_bridge_rejected_total", "reason", refusal.reason());
      // A misconfigured range refuses every status of a node: WARN on the first and every 100th, DEBUG between.
      long count = refusals.computeIfAbsent(report.node() + " " + refusal.reason(), k -> new AtomicLong())
          .incrementAndGet();
      String line = "Refused part of {}'s status for pod {}/{} ({}, {} from this node): {}";
      Object[] args = {report.node(), current.getMetadata().getNamespace(), current.getMetadata().getName(),
          refusal.reason(), count, refusal.message()};
      if (count == 1 || count % 100 == 0) {
        LOG.warn(line, args);
      } else {
        LOG.debug(line, args);
      }
    }
    writeStatus(report, current, hostIPs);
    if (report.stopped() && current.getMetadata().getDeletionTimestamp() != null) {
      String namespace = current.getMetadata().getNamespace();
      String name = current.getMetadata().getName();
      client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "pods");
      LOG.info("Pod {}/{} stopped on {}: deletion completed", namespace, name, report.node());
    }
  }

  /**
   * A PUT of the status subresource with the resourceVersion the status was computed from, so that the API server
   * refuses it (409) if anyone changed the pod meanwhile — a controller's condition or a readiness gate included. On
   * 409 the pod is read again and the status computed again over it (its conditions merged afresh), only for the
   * same pod (uid), never for a namesake created meanwhile. Not a patch: a strategic merge patch of
   * {@code conditions} would merge by type on a real API server but replace the list on a JSON merge patch (and on
   * the mock server), and a JSON patch addresses list entries by index, which another writer may have shifted.
   */
  private void writeStatus(PodStatusReport report, Pod current, List<String> hostIPs) {
    Pod pod = current;
    for (int attempt = 1; ; attempt++) {
      PodStatus status = toStatus(report, pod, hostIPs, claims.check(report, pod, hostIPs));
      if (status.equals(pod.getStatus())) {
        return;
      }
      try {
        client.pods().inNamespace(pod.getMetadata().getNamespace())
            .resource(new PodBuilder(pod).withStatus(status).build()).updateStatus();
        metrics.increment("outpost_bridge_kube_writes_total", "resource", "pods/status");
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == ATTEMPTS) {
          throw e;
        }
      }
      Pod fresh = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
          .get();
      if (fresh == null || !pod.getMetadata().getUid().equals(fresh.getMetadata().getUid())) {
        return; // deleted (or replaced) meanwhile: nothing of this report is the new pod's
      }
      pod = fresh;
    }
  }

  /**
   * Computes {@code Ready} again after a readiness gate's condition changed (another controller wrote it), as the
   * kubelet does on every pod update: over the {@code ContainersReady} the pod shows and its readiness gates. Writes
   * only if {@code Ready} changes, with the same optimistic PUT as a report; a 409 is left to the next change or
   * report (the informer delivers the newer pod, which calls this again).
   */
  void recheckReadiness(Pod pod) {
    PodStatus status = pod.getStatus();
    if (status == null || status.getConditions() == null || pod.getSpec().getReadinessGates() == null
        || pod.getSpec().getReadinessGates().isEmpty()) {
      return;
    }
    Optional<PodCondition> containersReady = find(status.getConditions(), "ContainersReady");
    Optional<PodCondition> shown = find(status.getConditions(), "Ready");
    if (containersReady.isEmpty() || shown.isEmpty()) {
      return; // no report written yet: the first one computes Ready
    }
    PodConditions.Outcome ready = PodConditions.ready(pod.getSpec(), "True".equals(containersReady.get()
        .getStatus()) ? PodConditions.Outcome.TRUE : new PodConditions.Outcome(false, containersReady.get()
        .getReason(), containersReady.get().getMessage()), status.getConditions().stream()
        .filter(c -> !Set.of("Ready", "ContainersReady", "PodScheduled").contains(c.getType())).toList());
    PodCondition next = condition("Ready", ready.status(), ready.reason(), ready.message(), status);
    if (Objects.equals(next.getStatus(), shown.get().getStatus()) && Objects.equals(next.getReason(),
        shown.get().getReason()) && Objects.equals(next.getMessage(), shown.get().getMessage())) {
      return;
    }
    List<PodCondition> conditions = status.getConditions().stream().map(c -> "Ready".equals(c.getType()) ? next : c)
        .toList();
    client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(new PodBuilder(pod).editStatus()
        .withConditions(conditions).endStatus().build()).updateStatus();
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "pods/status");
    LOG.info("Pod {}/{}: Ready={} over its readiness gates{}", pod.getMetadata().getNamespace(),
        pod.getMetadata().getName(), next.getStatus(), ready.message() == null ? "" : " (" + ready.message() + ")");
  }

  private static Optional<PodCondition> find(List<PodCondition> conditions, String type) {
    return conditions.stream().filter(c -> c != null && type.equals(c.getType())).findFirst();
  }

  /** The status to write for a report whose claims were checked against {@code pod} ({@link StatusClaims}). */
  static PodStatus toStatus(PodStatusReport report, Pod pod, List<String> hostIPs, StatusClaims.Checked checked) {
    PodStatus previous = pod.getStatus();
    List<ContainerStatus> containers = checked.containers() == null ? List.of()
        : checked.containers().stream().map(PodStatusWriter::container).toList();
    List<ContainerStatus> init = checked.initContainers() == null ? List.of()
        : checked.initContainers().stream().map(PodStatusWriter::container).toList();
    String hostIP = !hostIPs.isEmpty() ? hostIPs.get(0) : previous == null ? null : previous.getHostIP();
    String startTime = previous != null && previous.getStartTime() != null ? previous.getStartTime()
        : report.startTime();
    PodStatusBuilder status = new PodStatusBuilder()
        .withPhase(report.phase())
        .withReason(report.reason())
        .withMessage(report.message())
        .withHostIP(hostIP)
        .withPodIP(checked.podIP())
        .withStartTime(startTime)
        .withConditions(conditions(report, pod, checked))
        .withContainerStatuses(containers)
        .withInitContainerStatuses(init);
    if (checked.ephemeralContainers() != null) { // kubectl debug: never ready, never restarted
      status.withEphemeralContainerStatuses(checked.ephemeralContainers().stream().map(PodStatusWriter::container)
          .toList());
    } else if (previous != null && previous.getEphemeralContainerStatuses() != null) {
      status.withEphemeralContainerStatuses(previous.getEphemeralContainerStatuses()); // a node that reports none
    }
    if (checked.podIP() != null) {
      status.withPodIPs(new PodIP(checked.podIP()));
    }
    if (!hostIPs.isEmpty()) {
      status.withHostIPs(hostIPs.stream().map(io.fabric8.kubernetes.api.model.HostIP::new).toList());
    } else if (hostIP != null) {
      status.withHostIPs(previous.getHostIPs() != null && !previous.getHostIPs().isEmpty() ? previous.getHostIPs()
          : List.of(new io.fabric8.kubernetes.api.model.HostIP(hostIP)));
    }
    if (previous != null) {
      status.withQosClass(previous.getQosClass());
    }
    return status.build();
  }

  /**
   * The kubelet's list: the conditions the pod shows that the kubelet does not own (other controllers', readiness
   * gates'), in their order, then PodReadyToStartContainers (if the node reports its sandbox), Initialized, Ready
   * (over the readiness gates), ContainersReady, PodScheduled.
   */
  private static List<PodCondition> conditions(PodStatusReport report, Pod pod, StatusClaims.Checked checked) {
    PodStatus previous = pod.getStatus();
    List<PodCondition> conditions = new ArrayList<>(PodConditions.foreign(previous == null ? null
        : previous.getConditions()));
    if (report.sandboxReady() != null) {
      // status/generate.go GeneratePodReadyToStartContainersCondition: True once the sandbox with its network
      // exists, else False; no reason either way.
      conditions.add(condition("PodReadyToStartContainers", report.sandboxReady(), null, null, previous));
    }
    PodConditions.Outcome initialized = PodConditions.initialized(pod.getSpec(), report.phase(),
        checked.containers(), checked.initContainers());
    PodConditions.Outcome containersReady = PodConditions.containersReady(pod.getSpec(), report.phase(),
        checked.containers(), checked.initContainers());
    conditions.add(condition("Initialized", initialized.status(), initialized.reason(), initialized.message(),
        previous));
    PodConditions.Outcome ready = PodConditions.ready(pod.getSpec(), containersReady, conditions);
    conditions.add(condition("Ready", ready.status(), ready.reason(), ready.message(), previous));
    conditions.add(condition("ContainersReady", containersReady.status(), containersReady.reason(),
        containersReady.message(), previous));
    conditions.add(condition("PodScheduled", true, null, null, previous));
    return conditions;
  }

  private static PodCondition condition(String type, boolean value, String reason, String message,
      PodStatus previous) {
    String status = value ? "True" : "False";
    String since = previous == null || previous.getConditions() == null ? null : previous.getConditions().stream()
        .filter(c -> type.equals(c.getType()) && status.equals(c.getStatus()))
        .map(PodCondition::getLastTransitionTime).filter(Objects::nonNull).findFirst().orElse(null);
    return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
        .withLastTransitionTime(since != null ? since
            : Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()).build();
  }

  private static ContainerStatus container(PodStatusReport.ContainerStatusV1 c) {
    return new ContainerStatusBuilder()
        .withName(c.name())
        .withImage(c.image())
        .withImageID(c.imageID() == null ? "" : c.imageID())
        .withContainerID(c.containerID())
        .withReady(c.ready())
        // The startup-probe verdict the node reports (prober_manager.go isContainerStarted); older edges: running.
        .withStarted(c.started() != null ? c.started() : c.state() != null && "running".equals(c.state().kind()))
        .withRestartCount(c.restartCount())
        .withState(state(c.state()))
        .withLastState(state(c.lastState()))
        .build();
  }

  private static ContainerState state(PodStatusReport.ContainerStateV1 s) {
    if (s == null || s.kind() == null) {
      return new ContainerState();
    }
    return switch (s.kind()) {
      case "running" -> new ContainerStateBuilder().withNewRunning().withStartedAt(s.startedAt()).endRunning()
          .build();
      case "terminated" -> new ContainerStateBuilder().withNewTerminated().withExitCode(s.exitCode() == null ? 0 : s.exitCode())
          .withReason(s.reason()).withMessage(s.message()).withStartedAt(s.startedAt())
          .withFinishedAt(s.finishedAt()).endTerminated().build();
      default -> new ContainerStateBuilder().withNewWaiting().withReason(s.reason()).withMessage(s.message())
          .endWaiting().build();
    };
  }
}
