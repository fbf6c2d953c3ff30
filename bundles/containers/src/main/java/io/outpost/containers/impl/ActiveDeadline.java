package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.store.StoredPod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code spec.activeDeadlineSeconds} as the kubelet enforces it ({@code active_deadline.go}, {@code
 * generateAPIPodStatus}): counted from the pod's {@code startTime}; once it has passed, an Event {@code
 * DeadlineExceeded} (type Normal, as the kubelet records it) with the kubelet's message, phase {@code Failed} with reason
 * {@code DeadlineExceeded} and message "Pod was active on the node longer than the specified deadline", and the pod's
 * containers stopped with its termination grace period (app containers first, then sidecars: {@link
 * TerminationOrder}), never started again; then its sandbox. The stopped containers are kept (their logs and states
 * stay readable) until the pod is deleted. A pod past its deadline stays so across a restart of the node (read back
 * from its recorded status).
 */
final class ActiveDeadline {
  private static final Logger LOG = LoggerFactory.getLogger(ActiveDeadline.class);
  static final String REASON = "DeadlineExceeded";
  static final String MESSAGE = "Pod was active on the node longer than the specified deadline";

  private final EventSink events;
  private final ContainerEngine engine;

  ActiveDeadline(EventSink events, ContainerEngine engine) {
    this.events = events;
    this.engine = engine;
  }

  /** Whether a recorded status says the pod exceeded its deadline. */
  static boolean isExceeded(PodStatusReport status) {
    return status != null && "Failed".equals(status.phase()) && REASON.equals(status.reason());
  }

  /** When the pod's deadline passes, or null if it has none, no start time yet, or it has passed already. */
  static Instant due(PodV1 pod, PodState state) {
    Long seconds = pod.activeDeadlineSeconds();
    if (seconds == null || state.deadlineExceeded) {
      return null;
    }
    String startTime = state.lastRecorded != null && state.lastRecorded.startTime() != null
        ? state.lastRecorded.startTime() : state.firstSeen;
    Instant start = Timestamps.parse(startTime);
    return start == null ? null : start.plusSeconds(seconds);
  }

  /**
   * Whether the pod is past its deadline: just now (the Event is recorded) or before. A pod being deleted is not
   * judged any more (its deletion stops it anyway).
   */
  boolean exceeded(StoredPod stored, PodState state, Instant now) {
    if (state.deadlineExceeded) {
      return true;
    }
    Instant due = due(stored.pod(), state);
    if (due == null || stored.pod().deleting() || now.isBefore(due)) {
      return false;
    }
    state.deadlineExceeded = true;
    LOG.info("Pod {} was active longer than its activeDeadlineSeconds ({} s): stopping it", stored.ref().key(),
        stored.pod().activeDeadlineSeconds());
    events.normal(stored.ref(), REASON, MESSAGE);
    return true;
  }

  /** When the pod must be looked at again for its deadline: when it passes, or soon while its containers stop. */
  static Instant lookAgainAt(StoredPod stored, PodState state, Instant now, Duration poll) {
    if (state.deadlineExceeded) {
      return state.deadlineStopped || stored.pod().deleting() ? null : now.plus(poll);
    }
    Instant due = due(stored.pod(), state);
    return due == null || stored.pod().deleting() ? null : due.isAfter(now) ? due : now.plus(poll);
  }

  /**
   * One step of stopping a pod past its deadline: stop signals as for a deletion (SIGKILL once the grace period is
   * over), in {@link TerminationOrder}; once its containers have all exited, its sandbox is stopped. Returns the app
   * containers' views and records the init containers' in {@code state}.
   */
  List<ContainerView> stop(PodWorker worker, ObjectRef ref, PodV1 pod, List<EngineContainer> containers,
      PodState state, Instant now) {
    boolean anyRunning = false;
    for (EngineContainer container : containers) {
      if (Sandbox.isInfra(container)) {
        continue;
      }
      PodState.Memory memory = state.container(container.label(Naming.CONTAINER));
      Images.cancelPull(memory);
      if (container.running()) {
        anyRunning = true;
        if (TerminationOrder.mayStop(pod, container, containers)) {
          worker.signal(ref, pod, container, state, memory, now);
        }
      } else if (!container.neverStarted()) {
        memory.terminated = StatusMapper.terminated(container);
      }
    }
    if (!anyRunning && !state.deadlineStopped) {
      for (EngineContainer container : containers) {
        if (Sandbox.isInfra(container) && container.running()) {
          try {
            engine.kill(container.id(), "SIGKILL");
          } catch (EngineException e) {
            LOG.debug("Stopping the sandbox of pod {} failed: {}", ref.key(), e.getMessage());
            return views(pod, containers, state);
          }
        }
      }
      state.deadlineStopped = true;
      LOG.info("Pod {} past its deadline: its containers and sandbox are stopped", ref.key());
    }
    return views(pod, containers, state);
  }

  /**
   * The status of a pod past its deadline: {@code report} with phase Failed, the kubelet's reason and message, and
   * {@code sandboxReady} false once its sandbox is stopped.
   */
  static PodStatusReport status(PodStatusReport report, PodState state) {
    Boolean sandboxReady = state.deadlineStopped ? Boolean.FALSE : report.sandboxReady();
    return new PodStatusReport(report.v(), report.node(), report.ref(), "Failed", REASON, MESSAGE, report.podIP(),
        report.hostIP(), report.startTime(), report.containers(), report.stopped(), report.initContainers(),
        sandboxReady, report.ephemeralContainers());
  }

  private static List<ContainerView> views(PodV1 pod, List<EngineContainer> containers, PodState state) {
    List<ContainerView> init = new ArrayList<>();
    for (ContainerV1 spec : pod.initContainersInOrder()) {
      init.add(view(spec, containers, state, InitContainers.role(spec)));
    }
    state.initViews = List.copyOf(init);
    List<ContainerView> apps = new ArrayList<>();
    for (ContainerV1 spec : pod.containers()) {
      apps.add(view(spec, containers, state, ContainerView.Role.APP));
    }
    return apps;
  }

  private static ContainerView view(ContainerV1 spec, List<EngineContainer> containers, PodState state,
      ContainerView.Role role) {
    PodState.Memory memory = state.container(spec.name());
    EngineContainer container = PodWorker.find(containers, spec.name());
    ContainerStateV1 waiting = container == null && memory.terminated == null ? memory.waiting : null;
    if (container == null && memory.terminated == null && waiting == null && role != ContainerView.Role.APP) {
      waiting = ContainerStateV1.waiting(InitContainers.POD_INITIALIZING, null);
    }
    ContainerStateV1 terminated = container == null ? memory.terminated : null;
    return new ContainerView(spec.name(), spec.image(), container, waiting, memory.restartCount, memory.lastState,
        terminated, false, true, container == null || !container.running(), role);
  }
}
