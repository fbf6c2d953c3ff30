package io.outpost.containers.impl;

import io.outpost.containers.EngineStatus;
import io.outpost.containers.PodRuntime;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.StoredPod;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Level-based, idempotent reconciliation of the store's pods against the engine's containers labelled with this
 * node. Each {@link #reconcile()} is one pass: list, one step per pod, remove orphans, record statuses. Not
 * thread-safe: call it from one thread (the manager's executor); {@link #pods()} and {@link #engine()} may be read
 * from any thread.
 */
final class Reconciler {
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  static final Duration MIN_DELAY = Duration.ofMillis(500);
  /** How often a pod whose containers are stopping is looked at. */
  static final Duration STOPPING_POLL = Duration.ofSeconds(1);

  private final Settings settings;
  private final PodStore store;
  private final ContainerEngine engine;
  private final Clock clock;
  private final PodWorker worker;
  private final Volumes volumes;
  private final Prober prober;
  private final LifecycleHooks hooks;
  private final PodAdmission admission;
  private final Evictions evictions;
  private final ActiveDeadline deadlines;
  /** Whether a full pass has looked for memory volumes left by pods gone while the node was down. */
  private boolean orphansSwept;
  private final Map<String, PodState> states = new HashMap<>();
  private volatile List<PodRuntime> snapshot = List.of();
  private final EngineHealth engineHealth;

  private final ExecutorService podPool;

  /** A reconciler that works on one pod at a time, on the caller's thread. */
  Reconciler(Settings settings, PodStore store, ContainerEngine engine, Clock clock, Runnable wake) {
    this(settings, store, engine, clock, wake, null);
  }

  /**
   * {@code podPool}, if not null, works on several pods of a pass at once (each pod on one thread at a time): on a
   * cold start the engine creates and starts containers of different pods in parallel.
   */
  Reconciler(Settings settings, PodStore store, ContainerEngine engine, Clock clock, Runnable wake,
      ExecutorService podPool) {
    this(settings, store, engine, clock, wake, podPool, java.util.Map::of);
  }

  /**
   * {@code allocatable}: the node's allocatable resources, against which new pods are admitted ({@link
   * PodAdmission}); null when unknown. The constructors without it admit every pod (no resource is known).
   */
  Reconciler(Settings settings, PodStore store, ContainerEngine engine, Clock clock, Runnable wake,
      ExecutorService podPool, java.util.function.Supplier<Map<String, String>> allocatable) {
    this(settings, store, engine, clock, wake, podPool, allocatable, () -> null);
  }

  /**
   * {@code podNetwork}: the node's pod network now ({@link io.outpost.containers.PodNetwork}), or null: new pod
   * sandboxes join it; the constructors without it leave every pod on the engine's default network.
   */
  Reconciler(Settings settings, PodStore store, ContainerEngine engine, Clock clock, Runnable wake,
      ExecutorService podPool, java.util.function.Supplier<Map<String, String>> allocatable,
      java.util.function.Supplier<io.outpost.containers.PodNetwork> podNetwork) {
    this.settings = settings;
    this.store = store;
    this.engine = engine;
    this.clock = clock;
    this.podPool = podPool;
    this.volumes = new Volumes(store.desired(), settings.volumesDir(), settings.hostPathAllow(),
        new MemoryVolumes(engine, settings.nodeName(), allocatable));
    EventSink events = new EventSink(store.events(), settings.nodeName(), clock);
    this.evictions = new Evictions(volumes, settings.volumesDir(), events, wake, clock, settings.storage());
    this.admission = new PodAdmission(settings.nodeName(), allocatable, events, clock,
        new SecurityAdmission(settings.security()));
    this.hooks = new LifecycleHooks(engine, events, wake);
    this.prober = new Prober(engine, events, wake, hooks.stops());
    this.deadlines = new ActiveDeadline(events, engine);
    this.worker = new PodWorker(engine, settings, wake,
        new EnvResolver(store.desired(), settings.nodeName(), allocatable), new PullSecrets(store.desired()), events,
        volumes, prober, hooks, podNetwork);
    this.engineHealth = new EngineHealth(engine, settings.engineHost(), settings.resyncInterval(), clock);
  }

  /** One pass. Returns how long to wait before the next one (at most the resync interval). */
  Duration reconcile() {
    List<EngineContainer> containers;
    try {
      // The list is the reachability check. The version is asked once per connection only, and after the pods of
      // the pass (Podman's /version runs its OCI runtime and conmon to report theirs: hundreds of milliseconds of
      // CPU that, asked first, delayed every pod of a cold start).
      containers = engine.list(settings.nodeName());
      engineHealth.reachable();
    } catch (EngineException e) {
      engineHealth.unreachable(e.getMessage());
      return settings.resyncInterval();
    }
    Instant now = clock.instant();
    Map<String, List<EngineContainer>> byUid = new HashMap<>();
    for (EngineContainer container : containers) {
      String uid = container.label(Naming.POD_UID);
      if (uid != null) {
        byUid.computeIfAbsent(uid, u -> new ArrayList<>()).add(container);
      }
    }
    List<StoredPod> pods = store.desired().pods();
    admit(pods, byUid);
    evictions.measureIfDue(pods, now, uid -> {
      PodState state = states.get(uid);
      return state != null && state.evicted != null;
    });
    Set<String> desired = new HashSet<>();
    List<Callable<Void>> steps = new ArrayList<>();
    for (StoredPod stored : pods) {
      String uid = stored.ref().uid();
      desired.add(uid);
      PodState state = states.computeIfAbsent(uid, this::resume);
      List<EngineContainer> current = byUid.getOrDefault(uid, List.of());
      steps.add(() -> {
        try {
          reconcilePod(stored, current, state, now);
        } catch (RuntimeException e) {
          // One bad pod never stops the pass; it is looked at again on the next one.
          LOG.warn("Reconciling pod {} failed: {}", stored.ref().key(), e.getMessage(), e);
        }
        return null;
      });
    }
    if (!runAll(steps)) {
      return settings.resyncInterval();
    }
    List<PodRuntime> runtimes = new ArrayList<>();
    for (StoredPod stored : pods) {
      PodState state = states.get(stored.ref().uid());
      runtimes.add(new PodRuntime(stored.ref(), state.lastRecorded, state.backoff.failures(), state.backoff.next()));
    }
    removeUndesired(desired, byUid);
    if (!orphansSwept) {
      volumes.memory().removeOrphans(desired);
      orphansSwept = true;
    }
    prober.endPass();
    snapshot = sorted(runtimes);
    engineHealth.askVersion();
    return nextDelay(pods, now);
  }

  /**
   * What a focused pass did: whether it covered every pod asked for, and when each of them that waits (back-off,
   * stopping) must be looked at again, by uid.
   */
  record Focus(boolean complete, Map<String, Instant> retries) {}

  /**
   * A pass over some pods only: those whose store key is in {@code keys} or whose uid is in {@code uids}. One list
   * request filtered by the pod's uid each, instead of listing every container of the node, so that a new or changed
   * pod, or an engine event about one, costs the same on a node with many pods. Not complete (the caller then runs a
   * full pass) if the engine is not known reachable or a pod asked for is no longer in the store (removing its
   * containers is the full pass's job).
   */
  Focus reconcile(Set<String> keys, Set<String> uids) {
    if (!engineHealth.status().reachable()) {
      return new Focus(false, Map.of());
    }
    Instant now = clock.instant();
    List<StoredPod> selected = store.desired().pods().stream()
        .filter(p -> keys.contains(p.ref().key()) || uids.contains(p.ref().uid())).toList();
    Set<String> found = new HashSet<>();
    selected.forEach(p -> {
      found.add(p.ref().key());
      found.add(p.ref().uid());
    });
    boolean complete = found.containsAll(keys) && found.containsAll(uids);
    List<Callable<Void>> steps = new ArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();
    List<StoredPod> all = store.desired().pods();
    for (StoredPod stored : selected) {
      PodState state = states.computeIfAbsent(stored.ref().uid(), this::resume);
      if (admission.verdict(stored.ref().uid()) == PodAdmission.Verdict.UNDECIDED) {
        try {
          admission.decide(stored, state.lastRecorded, !engine.list(settings.nodeName(), stored.ref().uid())
              .isEmpty(), all, this::recorded);
        } catch (EngineException e) {
          return new Focus(false, Map.of());
        }
      }
      steps.add(() -> {
        try {
          reconcilePod(stored, engine.list(settings.nodeName(), stored.ref().uid()), state, now);
        } catch (EngineException e) {
          failed.set(true); // the full pass records the engine as unreachable
        } catch (RuntimeException e) {
          LOG.warn("Reconciling pod {} failed: {}", stored.ref().key(), e.getMessage(), e);
        }
        return null;
      });
    }
    if (!runAll(steps) || failed.get()) {
      return new Focus(false, Map.of());
    }
    Map<String, PodRuntime> runtimes = new java.util.LinkedHashMap<>();
    snapshot.forEach(r -> runtimes.put(r.ref().uid(), r));
    Map<String, Instant> retries = new HashMap<>();
    for (StoredPod stored : selected) {
      PodState state = states.get(stored.ref().uid());
      runtimes.put(stored.ref().uid(), new PodRuntime(stored.ref(), state.lastRecorded, state.backoff.failures(),
          state.backoff.next()));
      Instant again = lookAgainAt(stored, state, now);
      if (again != null) {
        retries.put(stored.ref().uid(), again);
      }
    }
    snapshot = sorted(runtimes.values());
    return new Focus(complete, retries);
  }

  /**
   * The state of a pod this manager incarnation has not seen yet, continued from the last status the store
   * recorded for it (restart counts and last terminations survive a gateway restart), else empty.
   */
  private PodState resume(String uid) {
    PodState state = new PodState();
    store.statuses().last(uid).ifPresent(last -> {
      state.lastRecorded = last;
      state.firstSeen = last.startTime();
      state.evicted = Evictions.isEviction(last) ? last.message() : null;
      state.deadlineExceeded = ActiveDeadline.isExceeded(last);
      if (last.containers() != null) {
        for (PodStatusReport.ContainerStatusV1 container : last.containers()) {
          PodState.Memory memory = state.container(container.name());
          memory.restartCount = container.restartCount();
          memory.lastState = container.lastState();
          if (state.evicted != null && container.state() != null && "terminated".equals(container.state().kind())) {
            memory.terminated = container.state(); // an evicted pod's containers keep their last state
          }
        }
      }
    });
    return state;
  }

  /** Runs the pod steps of a pass and waits for all of them; false if interrupted (the manager is stopping). */
  private boolean runAll(List<Callable<Void>> steps) {
    if (podPool == null || steps.size() < 2) {
      for (Callable<Void> step : steps) {
        try {
          step.call();
        } catch (Exception e) {
          throw new IllegalStateException(e); // steps catch their own failures
        }
      }
      return true;
    }
    try {
      podPool.invokeAll(steps);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Decides admission for the pods of a full pass, on this thread, one at a time: first those that run already (a
   * recorded status or containers: admitted without a check), then new ones, so that every new pod is weighed
   * against all running ones.
   */
  private void admit(List<StoredPod> pods, Map<String, List<EngineContainer>> byUid) {
    List<StoredPod> known = new ArrayList<>();
    List<StoredPod> fresh = new ArrayList<>();
    for (StoredPod stored : pods) {
      PodState state = states.computeIfAbsent(stored.ref().uid(), this::resume);
      (state.lastRecorded != null || byUid.containsKey(stored.ref().uid()) ? known : fresh).add(stored);
    }
    known.addAll(fresh);
    for (StoredPod stored : known) {
      admission.decide(stored, states.get(stored.ref().uid()).lastRecorded, byUid.containsKey(stored.ref().uid()),
          pods, this::recorded);
    }
  }

  /** The last status recorded for a pod this incarnation knows, or null. */
  private PodStatusReport recorded(String uid) {
    PodState state = states.get(uid);
    return state == null ? null : state.lastRecorded;
  }

  private void reconcilePod(StoredPod stored, List<EngineContainer> containers, PodState state, Instant now) {
    PodStatusReport rejection = admission.rejection(stored.ref().uid(), stored.pod().deleting());
    if (rejection != null) { // refused at admission: its containers are never created
      if (!rejection.equals(state.lastRecorded)) {
        store.statuses().record(rejection);
        state.lastRecorded = rejection;
      }
      return;
    }
    String eviction = evictions.evicted(stored, state, now);
    boolean pastDeadline = eviction == null && deadlines.exceeded(stored, state, now);
    List<ContainerView> views;
    boolean stopped = false;
    if (pastDeadline && !stored.pod().deleting()) {
      views = deadlines.stop(worker, stored.ref(), stored.pod(), containers, state, now);
    } else if (eviction != null) {
      views = evictions.stop(worker, stored, containers, state, now);
      stopped = stored.pod().deleting() && state.evictionDone;
    } else if (stored.pod().deleting()) {
      List<EngineContainer> remaining = new ArrayList<>();
      views = worker.terminate(stored.ref(), stored.pod(), containers, state, now, remaining);
      stopped = remaining.isEmpty();
    } else {
      views = worker.run(stored.ref(), stored.pod(), containers, state, now);
    }
    if (state.firstSeen == null) {
      state.firstSeen = now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }
    // The sandbox is up while the infra container runs (it gave the pod its IP); a pod created before infra
    // containers existed has its network in its running app containers.
    boolean legacy = !containers.isEmpty() && containers.stream().noneMatch(Sandbox::isInfra);
    boolean sandboxReady = state.podIP != null
        || legacy && views.stream().anyMatch(v -> v.engine() != null && v.engine().running());
    PodStatusReport report = StatusMapper.pod(settings.nodeName(), stored.ref(), views, stopped, state.podIP,
        state.initViews, state.firstSeen, sandboxReady);
    report = EphemeralContainers.status(report, state.ephemeralViews);
    if (eviction != null) {
      report = Evictions.status(report, eviction);
    } else if (pastDeadline) {
      report = ActiveDeadline.status(report, state);
    }
    if (!report.equals(state.lastRecorded)) {
      store.statuses().record(report);
      state.lastRecorded = report;
      LOG.debug("Pod {} is {}", stored.ref().key(), report.phase());
    }
  }

  /** Removes the containers of pods the store no longer holds, and forgets their status. */
  private void removeUndesired(Set<String> desired, Map<String, List<EngineContainer>> byUid) {
    Set<String> gone = new HashSet<>(states.keySet());
    gone.addAll(byUid.keySet());
    gone.removeAll(desired);
    for (String uid : gone) {
      try {
        List<EngineContainer> containers = new ArrayList<>(byUid.getOrDefault(uid, List.of()));
        // The pod's containers leave its network namespace before the infra container that holds it goes.
        containers.sort(Comparator.comparing(Sandbox::isInfra));
        for (EngineContainer container : containers) {
          engine.remove(container.id(), true);
          LOG.info("Removed container {} of pod uid {}, which this node no longer runs", container.name(), uid);
        }
        store.statuses().forget(uid);
        states.remove(uid);
        admission.forget(uid);
        evictions.forget(uid);
        volumes.remove(uid);
        worker.removed(uid);
      } catch (RuntimeException e) {
        LOG.warn("Removing the containers of pod uid {} failed: {}", uid, e.getMessage(), e);
      }
    }
  }

  private static List<PodRuntime> sorted(java.util.Collection<PodRuntime> runtimes) {
    return runtimes.stream().sorted(Comparator.comparing((PodRuntime p) -> String.valueOf(p.ref().namespace()))
        .thenComparing(p -> p.ref().name())).toList();
  }

  /** When a pod must be looked at again without anything changing: its back-off retry, or soon while stopping. */
  private static Instant lookAgainAt(StoredPod stored, PodState state, Instant now) {
    Instant next = null;
    Instant retry = state.backoff.next();
    if (retry != null && retry.isAfter(now)) {
      next = retry;
    }
    boolean stopping = stored.pod().deleting() && state.lastRecorded != null && !state.lastRecorded.stopped()
        || state.evicted != null && !state.evictionDone;
    if (stopping) {
      Instant poll = now.plus(STOPPING_POLL);
      next = next == null || poll.isBefore(next) ? poll : next;
    }
    Instant deadline = ActiveDeadline.lookAgainAt(stored, state, now, STOPPING_POLL);
    return deadline != null && (next == null || deadline.isBefore(next)) ? deadline : next;
  }

  private Duration nextDelay(List<StoredPod> pods, Instant now) {
    Instant next = now.plus(settings.resyncInterval());
    for (StoredPod stored : pods) {
      PodState state = states.get(stored.ref().uid());
      Instant again = state == null ? null : lookAgainAt(stored, state, now);
      if (again != null && again.isBefore(next)) {
        next = again;
      }
    }
    Duration delay = Duration.between(now, next);
    return delay.compareTo(MIN_DELAY) < 0 ? MIN_DELAY : delay;
  }

  /** Stops the probes; containers keep running. */
  void close() {
    prober.close();
    hooks.close();
    evictions.close();
  }

  List<PodRuntime> pods() {
    return snapshot;
  }

  EngineStatus engine() {
    return engineHealth.status();
  }
}
