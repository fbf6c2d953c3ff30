package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile step per container of a pod: at most one engine action that changes anything (pull, create+start,
 * restart, signal, remove), and never a wait for a container to change state. Failures become waiting states and
 * back off; the next pass looks again.
 */
final class PodWorker {
  private static final Logger LOG = LoggerFactory.getLogger(PodWorker.class);
  static final Duration PULL_TIMEOUT = Duration.ofMinutes(15);
  /** A container that ran this long without exiting clears its pod's back-off. */
  static final Duration STABLE_RUN = Duration.ofMinutes(10);

  private final ContainerEngine engine;
  private final String node;
  private final long logMaxBytes;
  private final EnvResolver env;
  private final EventSink events;
  private final Images images;
  private final Sandbox sandbox;
  private final InitContainers init;
  private final Volumes volumes;
  private final Prober prober;
  private final SecurityContexts security;
  private final FsGroupOwnership fsGroups;
  private final EtcHosts hostsFile;
  private final ResolvConf resolvConf;
  private final LifecycleHooks hooks;
  private final TerminationMessages messages;
  private final EphemeralContainers ephemeral;

  /** {@code podNetwork}: the node's pod network now, or null, for new sandboxes ({@link Sandbox}). */
  PodWorker(ContainerEngine engine, Settings settings, Runnable wake, EnvResolver env, PullSecrets pullSecrets,
      EventSink events, Volumes volumes, Prober prober, LifecycleHooks hooks,
      java.util.function.Supplier<io.outpost.containers.PodNetwork> podNetwork) {
    this.hooks = hooks;
    this.messages = new TerminationMessages(engine, settings.volumesDir());
    this.volumes = volumes;
    this.prober = prober;
    this.engine = engine;
    this.node = settings.nodeName();
    this.logMaxBytes = settings.logMaxBytes();
    this.env = env;
    this.events = events;
    this.images = new Images(engine, wake, events, pullSecrets);
    this.resolvConf = new ResolvConf(settings.volumesDir(), settings.clusterDomain(), settings.resolvConf());
    this.sandbox = new Sandbox(engine, settings, images, events, volumes.memory(), podNetwork, resolvConf);
    this.init = new InitContainers(this, prober);
    this.security = new SecurityContexts(settings.security(), engine);
    this.fsGroups = new FsGroupOwnership(settings.volumesDir());
    this.hostsFile = new EtcHosts(settings.volumesDir(), settings.clusterDomain(), java.nio.file.Path.of("/etc/hosts"));
    this.ephemeral = new EphemeralContainers(this, engine, node);
  }

  /** Brings a pod that should run one step closer to running. */
  List<ContainerView> run(ObjectRef ref, PodV1 pod, List<EngineContainer> existing, PodState state, Instant now) {
    Sandbox.Result sandboxed = sandbox.ensure(ref, pod, existing, state, now);
    state.sandboxDns = sandboxed.dns();
    if (!existing.isEmpty()) {
      volumes.refresh(ref, pod); // ConfigMap and Secret changes reach running containers
      fsGroups.apply(ref, pod);
    }
    boolean initialized = init.run(ref, pod, existing, state, now, sandboxed.networkMode(), sandboxed.waiting());
    List<ContainerView> views = new ArrayList<>();
    for (ContainerV1 spec : pod.containers()) {
      PodState.Memory memory = state.container(spec.name());
      if (sandboxed.waiting() == null && !initialized) {
        memory.waiting = ContainerStateV1.waiting(InitContainers.POD_INITIALIZING, null);
        views.add(new ContainerView(spec.name(), spec.image(), null, memory.waiting, memory.restartCount,
            memory.lastState, null, true));
        continue;
      }
      if (sandboxed.waiting() != null) {
        memory.waiting = sandboxed.waiting();
        views.add(new ContainerView(spec.name(), spec.image(), null, memory.waiting, memory.restartCount,
            memory.lastState, null, true));
        continue;
      }
      EngineContainer container = find(existing, spec.name());
      boolean wasRunning = container != null && container.running();
      if (container == null) {
        container = create(ref, pod, spec, state, memory, now, sandboxed.networkMode());
      } else if (container.running()) {
        memory.waiting = null;
        resetIfStable(container, state, now);
      } else if (container.neverStarted()) {
        container = start(ref, pod, spec, container, state, memory, now);
      } else {
        container = exited(ref, pod, spec, container, state, memory, now);
      }
      boolean willRestart = container == null || container.running()
          || StatusMapper.restarts(pod.restartPolicy(), container.exitCode());
      boolean notReady = false;
      boolean notStarted = false;
      if (container != null && container.running()) {
        if (hooks.starting(ref, pod, spec, container, state.podIP, !wasRunning)) {
          memory.waiting = ContainerStateV1.waiting("ContainerCreating", null); // postStart has not returned
          notStarted = true;
        } else {
          prober.watch(ref, pod, spec, container, state.podIP, false);
          notReady = !prober.ready(container.id());
          notStarted = !prober.started(container.id());
        }
      } else if (container != null) {
        hooks.runOver(container.id());
        if (!container.neverStarted()) { // also a run that ended within this step: its message at once
          memory.terminated = messages.terminated(ref, spec, container);
        }
      }
      views.add(new ContainerView(spec.name(), spec.image(), container, memory.waiting, memory.restartCount,
          memory.lastState, memory.terminated, willRestart, notReady, notStarted, ContainerView.Role.APP));
    }
    ephemeral.run(ref, pod, existing, state, now, sandboxed.waiting() == null && initialized,
        sandboxed.networkMode());
    return views;
  }

  /**
   * One step of a graceful deletion: signal running containers (SIGTERM, SIGKILL once the grace period is over),
   * remove exited ones. Returns the views; the pod is stopped once {@code remaining} is empty.
   */
  List<ContainerView> terminate(ObjectRef ref, PodV1 pod, List<EngineContainer> existing, PodState state,
      Instant now, List<EngineContainer> remaining) {
    for (EngineContainer container : existing) {
      if (Sandbox.isInfra(container)) {
        continue; // removed once the pod's containers are gone
      }
      PodState.Memory memory = state.container(container.label(Naming.CONTAINER));
      Images.cancelPull(memory);
      memory.waiting = null;
      if (container.running() && !TerminationOrder.mayStop(pod, container, existing)) {
        remaining.add(container); // a sidecar: stopped after the containers that may still use it
      } else if (container.running()) {
        signal(ref, pod, container, state, memory, now);
        engine.inspect(container.id()).ifPresent(remaining::add);
      } else {
        memory.terminated = container.neverStarted() ? null
            : messages.terminated(ref, spec(pod, container.label(Naming.CONTAINER)), container);
        engine.remove(container.id(), true);
        hooks.forget(container.id());
        messages.forget(container.id());
        LOG.info("Removed container {} of deleted pod", container.name());
      }
    }
    if (remaining.isEmpty()) {
      for (EngineContainer container : existing) {
        if (Sandbox.isInfra(container)) {
          engine.remove(container.id(), true);
          state.podIP = null;
          LOG.info("Removed the infra container of deleted pod {}", ref.key());
        }
      }
    }
    List<ContainerView> views = new ArrayList<>();
    for (ContainerV1 spec : pod.containers()) {
      PodState.Memory memory = state.container(spec.name());
      Images.cancelPull(memory);
      memory.waiting = null;
      EngineContainer container = find(remaining, spec.name());
      ContainerStateV1 terminated = memory.terminated;
      if (container == null && terminated == null) {
        terminated = ContainerStateV1.terminated("ContainerStatusUnknown",
            "The container could not be located when the pod was deleted", 137, null, null);
      }
      views.add(new ContainerView(spec.name(), spec.image(), container, null, memory.restartCount,
          memory.lastState, terminated, false));
    }
    init.stopping(pod, remaining, state);
    return views;
  }

  void signal(ObjectRef ref, PodV1 pod, EngineContainer container, PodState state, PodState.Memory memory,
      Instant now) {
    long grace = Math.max(0, pod.gracePeriodSeconds());
    if (state.killDeadline == null) {
      state.killDeadline = now.plusSeconds(grace);
    }
    try {
      if (!memory.signalled) {
        String name = container.label(Naming.CONTAINER);
        ContainerStops.Stage stage = hooks.stops().preStop(ref, spec(pod, name), fieldPath(pod, name), container,
            state.podIP, grace, state.killDeadline, now);
        if (stage.first()) {
          // kuberuntime_container.go killContainer: Normal Killing "Stopping container <name>" on the container.
          events.normal(ref, "Killing", "Stopping container " + name, fieldPath(pod, name));
        }
        if (!stage.proceed()) {
          return; // the preStop hook runs, within the grace period
        }
        state.killDeadline = stage.killDeadline();
        memory.signalled = true;
        memory.killed = grace == 0;
        engine.kill(container.id(), grace == 0 ? "SIGKILL" : ContainerStops.stopSignal(container));
        LOG.info("Stopping container {} (grace period {} s)", container.name(), grace);
      } else if (!memory.killed && !now.isBefore(state.killDeadline)) {
        memory.killed = true;
        engine.kill(container.id(), "SIGKILL");
        LOG.info("Killing container {}: grace period over", container.name());
      }
    } catch (EngineException e) {
      // The container may have exited meanwhile; the next pass sees it exited and removes it.
      LOG.debug("Signal to {} failed: {}", container.name(), e.getMessage());
    }
  }

  EngineContainer create(ObjectRef ref, PodV1 pod, ContainerV1 spec, PodState state, PodState.Memory memory,
      Instant now, String networkMode) {
    if (!state.backoff.ready(now)) {
      if (memory.waiting != null && "ErrImagePull".equals(memory.waiting.reason())) {
        memory.waiting = ContainerStateV1.waiting("ImagePullBackOff",
            "Back-off pulling image \"" + spec.image() + "\": " + memory.waiting.message());
        // image_manager.go: Normal BackOff "Back-off pulling image %q"; kuberuntime: Warning Failed "Error: %v".
        String path = fieldPath(pod, spec.name());
        events.normal(ref, "BackOff", "Back-off pulling image \"" + spec.image() + "\"", path);
        events.warning(ref, "Failed", "Error: ImagePullBackOff", path);
      }
      return null;
    }
    List<String> variables;
    List<Volumes.Mount> mounts;
    Map<Integer, String> subPaths;
    try {
      SpecSupport.require(pod);
      variables = env.resolve(ref, pod, spec, state.podIP);
      subPaths = SubPathExpressions.expand(spec, variables);
      mounts = hostsFile.withHostsFile(ref, pod, spec, state.podIP, volumes.mounts(ref, pod, spec, subPaths));
      mounts = resolvConf.withResolvConf(ref, pod, spec, state.sandboxDns, mounts);
      fsGroups.apply(ref, pod);
    } catch (EnvResolver.ConfigError e) {
      configError(ref, pod, spec, memory, e);
      return null;
    }
    String path = fieldPath(pod, spec.name());
    if (!images.ready(ref, path, spec.image(), spec.imagePullPolicy(), pod.pullSecretNames(), state, memory,
        now)) {
      return null;
    }
    EngineSecurity secured;
    try {
      secured = security.forContainer(ref, pod, spec, networkMode); // after the pull: it may read the image's user
    } catch (EnvResolver.ConfigError e) {
      configError(ref, pod, spec, memory, e);
      return null;
    } catch (SecurityContexts.RuntimeRefusal e) {
      return failed(ref, path, state, memory, now, "CreateContainerError", new EngineException(e.getMessage(), null),
          null);
    } catch (EngineException e) {
      return failed(ref, path, state, memory, now, "CreateContainerError", e, null);
    }
    String id;
    try {
      mounts = new ArrayList<>(mounts);
      mounts.add(messages.mount(ref, spec));
    } catch (IOException e) {
      return failed(ref, path, state, memory, now, "CreateContainerError", new EngineException(
          "termination-message file: " + e.getMessage(), e), null);
    }
    try {
      id = engine.create(ephemeral.adapt(ref, pod, spec, containerSpec(ref, spec, variables, networkMode, mounts,
          secured).withLabels(SubPathExpressions.labels(subPaths))));
    } catch (EngineException e) {
      images.forget(spec.image());
      return failed(ref, path, state, memory, now, "CreateContainerError", e, null);
    }
    memory.pulled = false;
    LOG.info("Created container {} for pod {}", id, ref.key());
    // kuberuntime_container.go startContainer (1.32): "Created container: %v", then "Started container %v".
    events.normal(ref, "Created", "Created container: " + spec.name(), path);
    try {
      engine.start(id);
    } catch (EngineException e) {
      return failed(ref, path, state, memory, now, "RunContainerError", e, id);
    }
    events.normal(ref, "Started", "Started container " + spec.name(), path);
    memory.waiting = null;
    state.backoff.reset();
    return engine.inspect(id).orElse(null);
  }

  EngineContainer start(ObjectRef ref, PodV1 pod, ContainerV1 spec, EngineContainer container, PodState state,
      PodState.Memory memory, Instant now) {
    if (!state.backoff.ready(now) || !mountsHold(ref, pod, spec, container, memory)) {
      return container;
    }
    String name = container.label(Naming.CONTAINER);
    try {
      engine.start(container.id());
    } catch (EngineException e) {
      return failed(ref, fieldPath(pod, name), state, memory, now, "RunContainerError", e, container.id());
    }
    events.normal(ref, "Started", "Started container " + name, fieldPath(pod, name));
    memory.waiting = null;
    state.backoff.reset();
    return engine.inspect(container.id()).orElse(null);
  }

  EngineContainer exited(ObjectRef ref, PodV1 pod, ContainerV1 spec, EngineContainer container,
      PodState state, PodState.Memory memory, Instant now) {
    ContainerStateV1 terminated = messages.terminated(ref, spec, container);
    memory.terminated = terminated;
    if (!StatusMapper.restarts(pod.restartPolicy(), container.exitCode())) {
      memory.waiting = null;
      return container;
    }
    memory.lastState = terminated;
    if (!state.backoff.ready(now)) {
      ContainerStateV1 waiting = ContainerStateV1.waiting("CrashLoopBackOff", "back-off "
          + state.backoff.currentDelay().toSeconds() + "s restarting failed container=" + spec.name() + " pod="
          + ref.name() + "_" + ref.namespace() + "(" + ref.uid() + ")");
      if (memory.waiting == null || !"CrashLoopBackOff".equals(memory.waiting.reason())) {
        // kuberuntime_manager.go doBackOff: Warning BackOff "Back-off restarting failed container %s in pod %s".
        events.warning(ref, "BackOff", "Back-off restarting failed container " + spec.name() + " in pod "
            + ref.name() + "_" + ref.namespace() + "(" + ref.uid() + ")", fieldPath(pod, spec.name()));
      }
      memory.waiting = waiting;
      return container;
    }
    if (!mountsHold(ref, pod, spec, container, memory)) {
      return container;
    }
    String path = fieldPath(pod, spec.name());
    messages.reset(ref, spec); // the new run's message is its own, as a kubelet's new container's file is new
    try {
      engine.start(container.id());
    } catch (EngineException e) {
      return failed(ref, path, state, memory, now, "RunContainerError", e, container.id());
    }
    // A kubelet restarts a container by creating a new one from the image it has: its events say so each time
    // (image_manager.go "Container image %q already present on machine", then Created, Started). This manager
    // starts the exited container again; what Kubernetes shows is the same.
    events.normal(ref, "Pulled", Images.alreadyPresent(spec.image()), path);
    events.normal(ref, "Created", "Created container: " + spec.name(), path);
    events.normal(ref, "Started", "Started container " + spec.name(), path);
    memory.restartCount++;
    memory.waiting = null;
    state.backoff.failed(now);
    LOG.info("Restarted container {} (exit code {}, restart {})", container.name(), container.exitCode(),
        memory.restartCount);
    return engine.inspect(container.id()).orElse(null);
  }

  /**
   * Checks the container's volumes again before the engine starts it anew (the engine resolves the bind sources again
   * on every start: a subPath or hostPath swapped for a symlink must not lead outside); false, with the container
   * waiting in CreateContainerConfigError, if they no longer hold.
   */
  private boolean mountsHold(ObjectRef ref, PodV1 pod, ContainerV1 spec, EngineContainer container,
      PodState.Memory memory) {
    try {
      volumes.mounts(ref, pod, spec, SubPathExpressions.recorded(container)); // the subPathExpr it was created with
      return true;
    } catch (EnvResolver.ConfigError e) {
      configError(ref, pod, spec, memory, e);
      return false;
    }
  }

  /** Not backed off: the pod is looked at again as soon as the store receives what is missing. */
  private void configError(ObjectRef ref, PodV1 pod, ContainerV1 spec, PodState.Memory memory,
      EnvResolver.ConfigError e) {
    ContainerStateV1 waiting = ContainerStateV1.waiting("CreateContainerConfigError", e.getMessage());
    if (!waiting.equals(memory.waiting)) {
      LOG.warn("Pod {} container {}: {}", ref.key(), spec.name(), e.getMessage());
      events.warning(ref, "Failed", "Error: " + e.getMessage(), fieldPath(pod, spec.name()));
    }
    memory.waiting = waiting;
  }

  private EngineContainer failed(ObjectRef ref, String fieldPath, PodState state, PodState.Memory memory,
      Instant now, String reason, EngineException error, String id) {
    state.backoff.failed(now);
    ContainerStateV1 waiting = ContainerStateV1.waiting(reason, error.getMessage());
    if (!waiting.equals(memory.waiting)) {
      LOG.warn("{}: {}", reason, error.getMessage());
      events.warning(ref, "Failed", "Error: " + error.getMessage(), fieldPath);
    }
    memory.waiting = waiting;
    return id == null ? null : engine.inspect(id).orElse(null);
  }

  private static void resetIfStable(EngineContainer container, PodState state, Instant now) {
    Instant started = Timestamps.parse(container.startedAt());
    if (state.backoff.failures() > 0 && started != null && started.plus(STABLE_RUN).isBefore(now)) {
      state.backoff.reset();
    }
  }

  ContainerSpec containerSpec(ObjectRef ref, ContainerV1 spec, List<String> variables, String networkMode,
      List<Volumes.Mount> mounts, EngineSecurity secured) {
    Map<String, String> environment = Expansion.variables(variables); // $(NAME) in command and args
    return new ContainerSpec(Naming.containerName(ref, spec.name()), spec.image(),
        Expansion.expand(spec.command(), environment), Expansion.expand(spec.args(), environment), variables,
        spec.workingDir(), Naming.labels(node, ref, spec.name()), networkMode, null,
        spec.resources(), null, mounts, logMaxBytes, secured)
        .withStopSignal(spec.lifecycle() == null ? null : spec.lifecycle().stopSignal())
        .withStdio(ContainerSpec.Stdio.of(spec));
  }

  /**
   * The kubelet's {@code involvedObject.fieldPath} for a container of the pod ({@code kubecontainer.
   * GenerateContainerRef}): {@code spec.initContainers{name}} for an init container,
   * {@code spec.ephemeralContainers{name}} for an ephemeral one, else
   * {@code spec.containers{name}}.
   */
  static String fieldPath(PodV1 pod, String container) {
    if (pod.ephemeralContainersInOrder().stream().anyMatch(c -> c.name().equals(container))) {
      return "spec.ephemeralContainers{" + container + "}";
    }
    boolean init = pod.initContainersInOrder().stream().anyMatch(c -> c.name().equals(container));
    return io.outpost.protocol.EventReport.containerPath(container, init);
  }

  /** Removes what the worker keeps on disk for a pod that is gone (its termination-message files). */
  void removed(String uid) {
    messages.remove(uid);
  }

  /** The pod's container or init container {@code name}, or null. */
  static ContainerV1 spec(PodV1 pod, String name) {
    return java.util.stream.Stream.concat(pod.containers().stream(), pod.initContainersInOrder().stream())
        .filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  static EngineContainer find(List<EngineContainer> containers, String name) {
    for (EngineContainer container : containers) {
      if (Objects.equals(name, container.label(Naming.CONTAINER))) {
        return container;
      }
    }
    return null;
  }
}
