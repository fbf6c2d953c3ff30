package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A pod's init containers, run as the kubelet runs them ({@code computeInitContainerActions}, 1.32): in order, each
 * regular one to successful completion before the next starts; a failed one is restarted with back-off unless the
 * pod's restart policy is Never, which fails the pod. A native sidecar ({@code restartPolicy: Always}) is started in
 * its turn and the next init container waits until it has started (running, its startup probe passed); it then keeps
 * running beside the app containers, probed as they are, and is restarted whenever it exits, whatever the pod's
 * restart policy. Once the app containers of a pod that does not restart them are all done (a Job's pod), or its
 * initialization failed for good, its sidecars are stopped, last one first ({@link TerminationOrder}), and not started
 * again. One engine action per container and pass, never a wait. Once a pod's app containers exist its regular init
 * containers count as done (a restarted gateway does not run them again).
 */
final class InitContainers {
  static final String POD_INITIALIZING = "PodInitializing";

  private final PodWorker worker;
  private final Prober prober;

  InitContainers(PodWorker worker, Prober prober) {
    this.worker = worker;
    this.prober = prober;
  }

  /**
   * One step; true once initialization is over (every regular init container completed and every sidecar started, or
   * the app containers exist already). Records the init views in {@code state}. With {@code sandboxWaiting} set (the
   * pod's sandbox is not up) nothing is started: every init container shows that waiting state (ContainerCreating with
   * the reason, as the app containers do, where a kubelet shows PodInitializing and the reason in an Event only).
   */
  boolean run(ObjectRef ref, PodV1 pod, List<EngineContainer> existing, PodState state, Instant now,
      String networkMode, ContainerStateV1 sandboxWaiting) {
    List<ContainerV1> specs = pod.initContainersInOrder();
    List<ContainerView> views = new ArrayList<>(specs.size());
    boolean appsExist = pod.containers().stream().anyMatch(c -> PodWorker.find(existing, c.name()) != null);
    boolean stopSidecars = appsFinished(pod, existing) || initFailedForGood(pod, existing);
    boolean blocked = sandboxWaiting != null;
    for (ContainerV1 spec : specs) {
      PodState.Memory memory = state.container(spec.name());
      EngineContainer container = PodWorker.find(existing, spec.name());
      if (sandboxWaiting != null) {
        views.add(new ContainerView(spec.name(), spec.image(), null, sandboxWaiting, memory.restartCount,
            memory.lastState, null, true, true, true, role(spec)));
      } else if (blocked) {
        views.add(pending(spec, container, memory, pod));
      } else if (spec.sidecar()) {
        ContainerView view = sidecar(ref, pod, spec, container, existing, state, memory, now, networkMode,
            stopSidecars);
        views.add(view);
        blocked = !appsExist && !started(view);
      } else if (appsExist) {
        memory.waiting = null;
        ContainerStateV1 completed = container != null && !container.running() && !container.neverStarted()
            ? StatusMapper.terminated(container) : ContainerStateV1.terminated("Completed", null, 0, null, null);
        views.add(view(spec, container, memory, completed, false, ContainerView.Role.INIT));
      } else {
        ContainerView view = regular(ref, pod, spec, container, state, memory, now, networkMode);
        views.add(view);
        blocked = !InitPhase.completed(StatusMapper.container(view).state());
      }
    }
    state.initViews = List.copyOf(views);
    return !blocked || appsExist;
  }

  /** Views of the init containers while the pod is being deleted: as they are, none started again. */
  void stopping(PodV1 pod, List<EngineContainer> remaining, PodState state) {
    List<ContainerView> views = new ArrayList<>();
    for (ContainerV1 spec : pod.initContainersInOrder()) {
      PodState.Memory memory = state.container(spec.name());
      EngineContainer container = PodWorker.find(remaining, spec.name());
      ContainerStateV1 terminated = memory.terminated != null ? memory.terminated
          : ContainerStateV1.terminated("Completed", null, 0, null, null);
      views.add(new ContainerView(spec.name(), spec.image(), container, null, memory.restartCount, memory.lastState,
          container == null ? terminated : null, false, container == null || !prober.ready(container.id()),
          container == null || !prober.started(container.id()), role(spec)));
    }
    state.initViews = List.copyOf(views);
  }

  private ContainerView regular(ObjectRef ref, PodV1 pod, ContainerV1 spec, EngineContainer container,
      PodState state, PodState.Memory memory, Instant now, String networkMode) {
    if (container == null) {
      container = worker.create(ref, pod, spec, state, memory, now, networkMode);
    } else if (container.neverStarted()) {
      container = worker.start(ref, pod, spec, container, state, memory, now);
    } else if (!container.running() && container.exitCode() != null && container.exitCode() == 0) {
      memory.waiting = null;
      return view(spec, container, memory, StatusMapper.terminated(container), false, ContainerView.Role.INIT);
    } else if (!container.running()) {
      // Failed: restarted with back-off unless the pod never restarts (then the pod has failed).
      PodV1 asInit = "Never".equals(pod.restartPolicy()) ? pod : pod.withRestartPolicy("OnFailure");
      container = worker.exited(ref, asInit, spec, container, state, memory, now);
    }
    return view(spec, container, memory, null, !"Never".equals(pod.restartPolicy()), ContainerView.Role.INIT);
  }

  /** Keeps a sidecar running: created, started, restarted whenever it exits — or stopped once the pod is done. */
  private ContainerView sidecar(ObjectRef ref, PodV1 pod, ContainerV1 spec, EngineContainer container,
      List<EngineContainer> existing, PodState state, PodState.Memory memory, Instant now, String networkMode,
      boolean stop) {
    if (stop) {
      if (container != null && container.running() && TerminationOrder.mayStop(pod, container, existing)) {
        worker.signal(ref, pod, container, state, memory, now);
      }
      memory.waiting = null;
      if (container != null && !container.running() && !container.neverStarted()) {
        memory.terminated = StatusMapper.terminated(container);
      }
      boolean running = container != null && container.running();
      return new ContainerView(spec.name(), spec.image(), container, null, memory.restartCount, memory.lastState,
          container == null ? memory.terminated : null, false, !running || !prober.ready(container.id()),
          !running || !prober.started(container.id()), ContainerView.Role.SIDECAR);
    }
    if (container == null) {
      container = worker.create(ref, pod, spec, state, memory, now, networkMode);
    } else if (container.running()) {
      memory.waiting = null;
    } else if (container.neverStarted()) {
      container = worker.start(ref, pod, spec, container, state, memory, now);
    } else {
      container = worker.exited(ref, pod.withRestartPolicy("Always"), spec, container, state, memory, now);
    }
    boolean running = container != null && container.running();
    if (running) {
      prober.watch(ref, null, spec, container, state.podIP, true);
    }
    return new ContainerView(spec.name(), spec.image(), container, memory.waiting, memory.restartCount,
        memory.lastState, memory.terminated, true, !running || !prober.ready(container.id()),
        !running || !prober.started(container.id()), ContainerView.Role.SIDECAR);
  }

  private static boolean started(ContainerView view) {
    return view.engine() != null && view.engine().running() && view.waiting() == null && !view.notStarted();
  }

  /** The app containers all ran and none is restarted under the pod's restart policy: a Job's pod is done. */
  static boolean appsFinished(PodV1 pod, List<EngineContainer> existing) {
    for (ContainerV1 spec : pod.containers()) {
      EngineContainer container = PodWorker.find(existing, spec.name());
      if (container == null || container.running() || container.neverStarted()
          || StatusMapper.restarts(pod.restartPolicy(), container.exitCode())) {
        return false;
      }
    }
    return true;
  }

  /** A regular init container failed and the pod never restarts: the kubelet kills the pod. */
  private static boolean initFailedForGood(PodV1 pod, List<EngineContainer> existing) {
    if (!"Never".equals(pod.restartPolicy())) {
      return false;
    }
    for (ContainerV1 spec : pod.initContainersInOrder()) {
      EngineContainer container = PodWorker.find(existing, spec.name());
      if (!spec.sidecar() && container != null && !container.running() && !container.neverStarted()
          && (container.exitCode() == null || container.exitCode() != 0)) {
        return true;
      }
    }
    return false;
  }

  /** An init container whose turn has not come: {@code PodInitializing}, as the kubelet's default waiting state. */
  private static ContainerView pending(ContainerV1 spec, EngineContainer container, PodState.Memory memory,
      PodV1 pod) {
    ContainerStateV1 waiting = memory.waiting != null ? memory.waiting
        : container == null || container.neverStarted() ? ContainerStateV1.waiting(POD_INITIALIZING, null) : null;
    return new ContainerView(spec.name(), spec.image(), container, waiting, memory.restartCount, memory.lastState,
        memory.terminated, spec.sidecar() || !"Never".equals(pod.restartPolicy()), true, true, role(spec));
  }

  private static ContainerView view(ContainerV1 spec, EngineContainer container, PodState.Memory memory,
      ContainerStateV1 terminated, boolean willRestart, ContainerView.Role role) {
    return new ContainerView(spec.name(), spec.image(), container, memory.waiting, memory.restartCount,
        memory.lastState, terminated != null ? terminated : memory.terminated, willRestart, false, false, role);
  }

  static ContainerView.Role role(ContainerV1 spec) {
    return spec.sidecar() ? ContainerView.Role.SIDECAR : ContainerView.Role.INIT;
  }
}
