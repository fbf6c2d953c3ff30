package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pod's ephemeral containers ({@code kubectl debug}), run as the kubelet runs them: each is created once, in the
 * pod's sandbox (its network, UTS and IPC namespaces, as the pod's other containers), once the pod's sandbox is up
 * and its init containers are done; it is never restarted, and never removed before the pod. One with
 * {@code targetContainerName} joins that container's PID namespace ({@code PidMode container:<id>}: it sees the
 * target's processes, as with the kubelet's {@code NamespaceMode TARGET}), if the target runs when it is created;
 * else it gets a PID namespace of its own (logged). Their statuses go into the pod's report as
 * {@code ephemeralContainers}: never ready, never restarted.
 *
 * <p>A container that joins another's PID namespace must be removed before it (Podman refuses otherwise): the
 * engine lists ephemeral containers first ({@link #removalOrder()}).
 */
final class EphemeralContainers {
  private static final Logger LOG = LoggerFactory.getLogger(EphemeralContainers.class);
  /** Label on every ephemeral container. */
  static final String LABEL = "io.outpost.ephemeral";

  private final PodWorker worker;
  private final ContainerEngine engine;
  private final String node;

  EphemeralContainers(PodWorker worker, ContainerEngine engine, String node) {
    this.worker = worker;
    this.engine = engine;
    this.node = node;
  }

  /**
   * One step for the pod's ephemeral containers: at most one engine action each (create and start, or start),
   * never a restart. {@code ready}: the sandbox is up and the init containers are done (before that nothing is
   * created). Records the views in {@code state}.
   */
  void run(ObjectRef ref, PodV1 pod, List<EngineContainer> existing, PodState state, Instant now, boolean ready,
      String networkMode) {
    List<ContainerV1> specs = pod.ephemeralContainersInOrder();
    if (specs.isEmpty()) {
      state.ephemeralViews = List.of();
      return;
    }
    List<ContainerView> views = new ArrayList<>(specs.size());
    for (ContainerV1 spec : specs) {
      PodState.Memory memory = state.container(spec.name());
      EngineContainer container = PodWorker.find(existing, spec.name());
      if (ready && !pod.deleting()) {
        if (container == null && memory.terminated == null) {
          container = worker.create(ref, pod, spec, state, memory, now, networkMode);
        } else if (container != null && container.neverStarted() && memory.terminated == null) {
          container = worker.start(ref, pod, spec, container, state, memory, now);
        }
      }
      if (container != null && !container.running() && !container.neverStarted()) {
        memory.terminated = StatusMapper.terminated(container); // ran once: never started again
        memory.waiting = null;
      }
      views.add(new ContainerView(spec.name(), spec.image(), container, memory.waiting, 0, null,
          memory.terminated, false, true));
    }
    state.ephemeralViews = List.copyOf(views);
  }

  /**
   * What the engine creates for {@code spec}: an ephemeral container is labelled as such and, with a target,
   * joins the target's PID namespace; any other container is created as asked.
   */
  ContainerSpec adapt(ObjectRef ref, PodV1 pod, ContainerV1 spec, ContainerSpec created) {
    if (pod.ephemeralContainersInOrder().stream().noneMatch(c -> c.name().equals(spec.name()))) {
      return created;
    }
    Map<String, String> labels = new LinkedHashMap<>(created.labels());
    labels.put(LABEL, "true");
    EngineSecurity security = created.security();
    String target = spec.targetContainerName();
    if (target != null && !"host".equals(security.pidMode())) {
      EngineContainer running = engine.list(node, ref.uid()).stream().filter(c -> target.equals(
          c.label(Naming.CONTAINER)) && c.running()).findFirst().orElse(null);
      if (running == null) {
        LOG.warn("Ephemeral container {} of pod {}: target container {} is not running, so it gets a PID namespace"
            + " of its own", spec.name(), ref.key(), target);
      } else {
        security = new EngineSecurity(security.user(), security.groupAdd(), security.capAdd(), security.capDrop(),
            security.privileged(), security.readOnlyRootfs(), security.securityOpts(), "container:" + running.id(),
            security.ipcMode(), security.utsMode(), security.sysctls());
      }
    }
    return created.with(labels, security);
  }

  /** The pod's report with the ephemeral containers' statuses ({@code views} empty: unchanged). */
  static PodStatusReport status(PodStatusReport report, List<ContainerView> views) {
    if (views.isEmpty()) {
      return report;
    }
    List<PodStatusReport.ContainerStatusV1> statuses = views.stream().map(StatusMapper::container).toList();
    return new PodStatusReport(report.v(), report.node(), report.ref(), report.phase(), report.reason(),
        report.message(), report.podIP(), report.hostIP(), report.startTime(), report.containers(), report.stopped(),
        report.initContainers(), report.sandboxReady(), statuses);
  }

  /** Whether the engine container is an ephemeral one. */
  static boolean isEphemeral(EngineContainer container) {
    return "true".equals(container.label(LABEL));
  }

  /** Ephemeral containers first: they may hold another container's PID namespace, which outlives them. */
  static Comparator<EngineContainer> removalOrder() {
    return Comparator.comparing(c -> !isEphemeral(c));
  }
}
