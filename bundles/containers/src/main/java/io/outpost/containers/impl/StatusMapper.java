package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.ArrayList;
import java.util.List;

/**
 * Pod status from engine data, as pure functions. Container ids are reported as {@code docker://<engine id>} (the
 * manager speaks the Docker Engine API, whichever engine serves it); image ids as the engine reports them. The status
 * holds no time of observation, so an unchanged pod maps to an equal report.
 */
final class StatusMapper {
  static final String CONTAINER_ID_PREFIX = "docker://";

  private StatusMapper() {}

  /** {@code sandboxIP}: the infra container's IP, which is the pod IP; null for a pod without infra container. */
  static PodStatusReport pod(String node, ObjectRef ref, List<ContainerView> views, boolean stopped,
      String sandboxIP) {
    return pod(node, ref, views, stopped, sandboxIP, List.of());
  }

  /** As above, with the pod's init containers in order ({@code initViews}, empty if it has none). */
  static PodStatusReport pod(String node, ObjectRef ref, List<ContainerView> views, boolean stopped,
      String sandboxIP, List<ContainerView> initViews) {
    return pod(node, ref, views, stopped, sandboxIP, initViews, null, null);
  }

  /**
   * As above, with what the manager knows of the pod beyond its containers: {@code firstSeen}, when it first
   * looked at the pod (the kubelet's {@code startTime} is the time of its first status for the pod, set even when
   * that status is an error — status_manager.go {@code updateStatusInternal}; the earliest container creation
   * wins if it is older, for pods adopted after a restart), and {@code sandboxReady}, whether the pod's sandbox
   * with its network is up (the kubelet's {@code PodReadyToStartContainers}, status/generate.go), or null if not
   * known.
   */
  static PodStatusReport pod(String node, ObjectRef ref, List<ContainerView> views, boolean stopped,
      String sandboxIP, List<ContainerView> initViews, String firstSeen, Boolean sandboxReady) {
    List<ContainerStatusV1> init = initViews.stream().map(StatusMapper::container).toList();
    List<ContainerStatusV1> statuses = new ArrayList<>(views.size());
    String podIP = sandboxIP;
    String startTime = firstSeen;
    for (ContainerView view : views) {
      ContainerStatusV1 status = container(view);
      statuses.add(status);
      EngineContainer engine = view.engine();
      if (engine != null) {
        if (engine.running() && podIP == null) {
          podIP = engine.ip();
        }
        if (engine.createdAt() != null && (startTime == null || engine.createdAt().compareTo(startTime) < 0)) {
          startTime = engine.createdAt();
        }
      }
    }
    String phase = stopped ? finalPhase(statuses) : InitPhase.phase(initViews, init, InitPhase.appStarted(statuses));
    if (phase == null) {
      phase = phase(views, statuses);
      if (!"Running".equals(phase) && !"Pending".equals(phase) && InitPhase.sidecarRunning(initViews, init)) {
        phase = "Running"; // getPhase: the sidecars of a finished pod still run until they are stopped
      }
    }
    return new PodStatusReport(1, node, ref, phase, null, null, podIP, null, startTime, List.copyOf(statuses),
        stopped, init.isEmpty() ? null : init, sandboxReady);
  }

  static ContainerStatusV1 container(ContainerView view) {
    EngineContainer engine = view.engine();
    ContainerStateV1 state = state(view);
    boolean running = "running".equals(state.kind());
    // prober_manager.go UpdatePodStatus: a regular init container is ready once it completed; the others while they
    // run, have started (startup probe passed) and pass their readiness probe. Started: running, startup passed.
    boolean ready = view.role() == ContainerView.Role.INIT ? InitPhase.completed(state) : running && !view.notReady();
    return new ContainerStatusV1(view.name(), view.image(), engine == null ? null : engine.imageId(),
        engine == null ? null : CONTAINER_ID_PREFIX + engine.id(), ready, view.restartCount(), state,
        view.lastState(), running && !view.notStarted());
  }

  static ContainerStateV1 state(ContainerView view) {
    EngineContainer engine = view.engine();
    if (view.waiting() != null) {
      return view.waiting();
    }
    if (engine == null) {
      return view.terminated() != null ? view.terminated() : ContainerStateV1.waiting("ContainerCreating", null);
    }
    if (engine.running()) {
      return ContainerStateV1.running(engine.startedAt());
    }
    if (engine.neverStarted()) {
      return ContainerStateV1.waiting("ContainerCreating", null);
    }
    ContainerStateV1 terminated = terminated(engine);
    ContainerStateV1 known = view.terminated(); // the manager's, for the same run: with its termination message
    return known != null && java.util.Objects.equals(known.finishedAt(), terminated.finishedAt())
        && java.util.Objects.equals(known.startedAt(), terminated.startedAt()) ? known : terminated;
  }

  static ContainerStateV1 terminated(EngineContainer engine) {
    int exitCode = engine.exitCode() == null ? 0 : engine.exitCode();
    String reason = engine.oomKilled() ? "OOMKilled" : exitCode == 0 ? "Completed" : "Error";
    return ContainerStateV1.terminated(reason, engine.error(), exitCode, engine.startedAt(), engine.finishedAt());
  }

  /**
   * Running if a container runs or will be restarted after having run; Succeeded/Failed once every container has
   * terminated for good; Pending before that.
   */
  static String phase(List<ContainerView> views, List<ContainerStatusV1> statuses) {
    boolean allTerminatedForGood = true;
    boolean anyStarted = false;
    for (int i = 0; i < views.size(); i++) {
      ContainerStatusV1 status = statuses.get(i);
      String kind = status.state().kind();
      if ("running".equals(kind)) {
        return "Running";
      }
      boolean terminated = "terminated".equals(kind);
      anyStarted |= terminated || status.restartCount() > 0 || status.lastState() != null;
      allTerminatedForGood &= terminated && !views.get(i).willRestart();
    }
    if (allTerminatedForGood && !views.isEmpty()) {
      return finalPhase(statuses);
    }
    return anyStarted ? "Running" : "Pending";
  }

  /** Succeeded if every container that ran exited with 0, Failed otherwise. */
  static String finalPhase(List<ContainerStatusV1> statuses) {
    for (ContainerStatusV1 status : statuses) {
      ContainerStateV1 state = "terminated".equals(status.state().kind()) ? status.state() : status.lastState();
      if (state != null && state.exitCode() != null && state.exitCode() != 0) {
        return "Failed";
      }
    }
    return "Succeeded";
  }

  /** Whether a container that exited with {@code exitCode} is restarted under {@code restartPolicy}. */
  static boolean restarts(String restartPolicy, Integer exitCode) {
    if ("Never".equals(restartPolicy)) {
      return false;
    }
    if ("OnFailure".equals(restartPolicy)) {
      return exitCode == null || exitCode != 0;
    }
    return true;
  }
}
