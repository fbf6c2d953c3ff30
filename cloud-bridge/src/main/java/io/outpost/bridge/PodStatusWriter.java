package io.outpost.bridge;

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
import io.outpost.protocol.PodStatusReport;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
 * {@code updateStatusInternal}).
 */
final class PodStatusWriter {
  private static final Logger LOG = LoggerFactory.getLogger(PodStatusWriter.class);

  private final KubernetesClient client;
  private final Metrics metrics;

  PodStatusWriter(KubernetesClient client, Metrics metrics) {
    this.client = client;
    this.metrics = metrics;
  }

  /** {@code hostIPs}: the node's own addresses, primary first (empty if it reported none yet). */
  void write(PodStatusReport report, Pod current, List<String> hostIPs) {
    PodStatus status = toStatus(report, current.getStatus(), hostIPs);
    String namespace = current.getMetadata().getNamespace();
    String name = current.getMetadata().getName();
    if (!status.equals(current.getStatus())) {
      writeStatus(current, status);
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "pods/status");
    }
    if (report.stopped() && current.getMetadata().getDeletionTimestamp() != null) {
      client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "pods");
      LOG.info("Pod {}/{} stopped on {}: deletion completed", namespace, name, report.node());
    }
  }

  /**
   * One PUT to the status subresource with the cached resourceVersion; if the cache was behind (409), a fresh read
   * and a JSON patch of the status, only for the same pod (uid), never for a namesake created meanwhile.
   */
  private void writeStatus(Pod current, PodStatus status) {
    String namespace = current.getMetadata().getNamespace();
    String uid = current.getMetadata().getUid();
    try {
      client.pods().inNamespace(namespace).resource(new PodBuilder(current).withStatus(status).build())
          .updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      client.pods().inNamespace(namespace).withName(current.getMetadata().getName()).editStatus(p ->
          uid.equals(p.getMetadata().getUid()) ? new PodBuilder(p).withStatus(status).build() : p);
    }
  }

  static PodStatus toStatus(PodStatusReport report, PodStatus previous) {
    return toStatus(report, previous, List.of());
  }

  static PodStatus toStatus(PodStatusReport report, PodStatus previous, List<String> hostIPs) {
    List<ContainerStatus> containers = report.containers() == null ? List.of()
        : report.containers().stream().map(PodStatusWriter::container).toList();
    List<ContainerStatus> init = report.initContainers() == null ? List.of()
        : report.initContainers().stream().map(PodStatusWriter::container).toList();
    List<PodCondition> conditions = new ArrayList<>();
    if (report.sandboxReady() != null) {
      // status/generate.go GeneratePodReadyToStartContainersCondition: True once the sandbox with its network
      // exists, else False; no reason either way.
      conditions.add(condition("PodReadyToStartContainers", report.sandboxReady(), null, null, previous));
    }
    PodConditions.Outcome initialized = PodConditions.initialized(report);
    PodConditions.Outcome ready = PodConditions.containersReady(report);
    conditions.add(condition("Initialized", initialized.status(), initialized.reason(), initialized.message(),
        previous));
    conditions.add(condition("Ready", ready.status(), ready.reason(), ready.message(), previous));
    conditions.add(condition("ContainersReady", ready.status(), ready.reason(), ready.message(), previous));
    conditions.add(condition("PodScheduled", true, null, null, previous));
    String hostIP = !hostIPs.isEmpty() ? hostIPs.get(0) : report.hostIP() != null ? report.hostIP()
        : previous == null ? null : previous.getHostIP();
    String startTime = previous != null && previous.getStartTime() != null ? previous.getStartTime()
        : report.startTime();
    PodStatusBuilder status = new PodStatusBuilder()
        .withPhase(report.phase())
        .withReason(report.reason())
        .withMessage(report.message())
        .withHostIP(hostIP)
        .withPodIP(report.podIP())
        .withStartTime(startTime)
        .withConditions(conditions)
        .withContainerStatuses(containers)
        .withInitContainerStatuses(init);
    if (report.podIP() != null) {
      status.withPodIPs(new PodIP(report.podIP()));
    }
    if (!hostIPs.isEmpty()) {
      status.withHostIPs(hostIPs.stream().map(io.fabric8.kubernetes.api.model.HostIP::new).toList());
    } else if (hostIP != null) {
      status.withHostIPs(previous != null && hostIP.equals(previous.getHostIP()) && previous.getHostIPs() != null
          && !previous.getHostIPs().isEmpty() ? previous.getHostIPs()
          : List.of(new io.fabric8.kubernetes.api.model.HostIP(hostIP)));
    }
    if (previous != null) {
      status.withQosClass(previous.getQosClass());
    }
    return status.build();
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
        .withStarted(c.state() != null && "running".equals(c.state().kind()))
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
