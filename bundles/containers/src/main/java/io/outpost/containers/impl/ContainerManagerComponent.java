package io.outpost.containers.impl;

import io.outpost.containers.ContainerManager;
import java.io.Closeable;
import java.io.IOException;
import io.outpost.containers.EngineStatus;
import io.outpost.containers.PodNetwork;
import io.outpost.containers.PodRuntime;
import io.outpost.containers.NodeAllocatable;
import io.outpost.containers.PodStreams;
import io.outpost.containers.ResourceUsage;
import io.outpost.protocol.stream.StreamRequest;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.PodStatusReport;
import io.outpost.store.DesiredState;
import io.outpost.store.Outbox;
import io.outpost.store.StoreListener;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs this node's pods on the container engine. Owns one thread, {@code outpost-containers}: store changes, pull
 * completions and the periodic resync all just ask it for a pass. Deactivation stops that thread and closes the
 * engine client, and nothing else: containers keep running while the gateway restarts or is updated.
 *
 * <p>Configured by {@code io.outpost.containers} (its own keys) and {@code io.outpost.node} (node-wide keys, which
 * win). A change is applied live ({@link #modified}): if a setting of the manager changed, its engine connection and
 * reconciler start again with the new settings on its thread, under the same services (containers keep running, the
 * sync's link is not touched); a change of another component's key does nothing here.
 */
@Component(service = {ContainerManager.class, StoreListener.class, PodStreams.class, ResourceUsage.class},
    immediate = true,
    configurationPid = {ContainerManagerComponent.PID, "io.outpost.node"},
    configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class ContainerManagerComponent implements ContainerManager, StoreListener, PodStreams,
    ResourceUsage {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerManagerComponent.class);
  static final String THREAD_NAME = "outpost-containers";
  /** The manager's own configuration PID; the node-wide {@code io.outpost.node} is read after it and wins. */
  static final String PID = "io.outpost.containers";

  private final PodStore store;
  private final ScheduledExecutorService executor;
  private final ThreadPoolExecutor podPool;
  /** The engine client the manager was given (tests), or null: it connects to {@code engine.host} itself. */
  private final ContainerEngine givenEngine;
  /** These four are replaced together on the executor's thread when the settings change ({@link #modified}). */
  private volatile Settings settings;
  private volatile ContainerEngine engine;
  private volatile Reconciler reconciler;
  private volatile StreamOpener streams;
  private final AtomicBoolean passQueued = new AtomicBoolean();
  /** Pods (store keys, uids) a focused pass should look at, and whether one is queued. */
  private final Set<String> focusKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Set<String> focusUids = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicBoolean focusQueued = new AtomicBoolean();
  /** The next timed pass; only touched on the executor's thread. */
  private ScheduledFuture<?> timer;
  /** Per pod uid, the focused pass planned for when its back-off ends; only touched on the executor's thread. */
  private final java.util.Map<String, ScheduledFuture<?>> retryTimers = new java.util.HashMap<>();
  /** The node's allocatable resources (from the sync bundle, which reports them): new pods are admitted against them. */
  @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
  volatile NodeAllocatable nodeAllocatable;
  /** The node's pod network (networking feature), or null: new sandboxes join it; its coming or going restarts none. */
  @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY)
  volatile PodNetwork podNetwork;

  /** The engine's container event stream, while open; only (re)opened on the executor's thread. */
  private volatile Closeable events;

  @Activate
  public ContainerManagerComponent(@Reference(name = "desiredState") DesiredState desired,
      @Reference(name = "podStatuses", target = "(" + Outbox.NAME + "=" + Outbox.POD_STATUS + ")")
      Outbox<PodStatusReport> statuses,
      @Reference(name = "events", target = "(" + Outbox.NAME + "=" + Outbox.EVENT + ")") Outbox<EventReport> events,
      ContainersConfig config, java.util.Map<String, Object> properties) {
    this(PodStore.of(desired, statuses, events), config, properties, null);
  }

  /** Without any {@code allow.*} switch on (tests). */
  ContainerManagerComponent(PodStore store, ContainersConfig config) {
    this(store, config, java.util.Map.of(), null);
  }

  /** With a given engine client (tests count its requests); null: connect to {@code engine.host}. */
  ContainerManagerComponent(PodStore store, ContainersConfig config, ContainerEngine engine) {
    this(store, config, java.util.Map.of(), engine);
  }

  ContainerManagerComponent(PodStore store, ContainersConfig config, java.util.Map<String, ?> properties,
      ContainerEngine engine) {
    this.settings = Settings.from(config, properties);
    this.store = store;
    this.givenEngine = engine;
    ClassLoader bundleLoader = ContainerManagerComponent.class.getClassLoader();
    ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, threads(THREAD_NAME, bundleLoader));
    pool.setRemoveOnCancelPolicy(true);
    this.executor = pool;
    this.podPool = (ThreadPoolExecutor) Executors.newFixedThreadPool(settings.podWorkers(),
        threads(THREAD_NAME + "-pod", bundleLoader));
    start(settings);
    resync();
  }

  /** Connects to the engine and sets up the reconciler and stream opener for {@code with}. */
  private void start(Settings with) {
    this.engine = givenEngine != null ? givenEngine : DockerEngine.connect(with.engineHost());
    this.reconciler = new Reconciler(with, store, engine, Clock.systemUTC(), this::resync, podPool, () -> {
      NodeAllocatable node = nodeAllocatable;
      return node == null ? null : node.allocatable();
    }, () -> podNetwork);
    this.streams = new StreamOpener(with, store, engine);
    this.settings = with;
    LOG.info("Container manager for node {} using engine {}", with.nodeName(), with.engineHost());
  }

  /** Closes what {@link #start} set up; containers keep running. */
  private void stop() {
    closeEvents();
    streams.close();
    reconciler.close();
    if (givenEngine == null) {
      engine.close();
    }
  }

  /**
   * A changed configuration ({@code io.outpost.containers} or {@code io.outpost.node}). Every key of the manager
   * applies live: if its settings changed, the manager stops its engine connection, reconciler and streams and starts
   * them again with the new settings, on its own thread between two passes, then makes a full pass (containers keep
   * running, as over a restart of the bundle). A change that leaves its settings as they are — another component's
   * key, such as the broker's — does nothing. An invalid value is refused with a logged reason and the manager keeps
   * its previous settings.
   */
  @Modified
  void modified(ContainersConfig config, java.util.Map<String, Object> properties) {
    reconfigure(config, properties);
  }

  /** {@link #modified}: true if the manager restarted with new settings. */
  boolean reconfigure(ContainersConfig config, java.util.Map<String, ?> properties) {
    Settings next;
    try {
      next = Settings.from(config, properties);
    } catch (IllegalArgumentException e) {
      LOG.error("Configuration change refused, the container manager keeps its previous settings: {}",
          e.getMessage());
      return false;
    }
    if (next.equals(settings)) {
      LOG.debug("Configuration changed, but no setting of the container manager");
      return false;
    }
    java.util.concurrent.Future<?> restart = executor.submit(() -> {
      stop();
      podPool.setCorePoolSize(Math.min(next.podWorkers(), podPool.getMaximumPoolSize()));
      podPool.setMaximumPoolSize(next.podWorkers());
      podPool.setCorePoolSize(next.podWorkers());
      start(next);
    });
    try {
      restart.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      LOG.error("Restarting the container manager with its new settings failed", e.getCause());
      return false;
    }
    resync();
    return true;
  }

  /** The settings in use. */
  Settings settings() {
    return settings;
  }

  private static ThreadFactory threads(String name, ClassLoader bundleLoader) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name.equals(THREAD_NAME) ? name : name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      // Libraries that look things up on the context class loader find this bundle's.
      thread.setContextClassLoader(bundleLoader);
      return thread;
    };
  }

  @Deactivate
  void deactivate() {
    executor.shutdownNow();
    podPool.shutdownNow();
    try {
      if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("The {} thread did not stop within 30 s", THREAD_NAME);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stop();
    if (givenEngine != null) {
      givenEngine.close();
    }
    LOG.info("Container manager stopped; containers keep running");
  }

  private void closeEvents() {
    Closeable stream = events;
    events = null;
    if (stream != null) {
      try {
        stream.close();
      } catch (IOException e) {
        LOG.debug("Closing the engine event stream failed", e);
      }
    }
  }

  /**
   * Changed pods, and pods whose ServiceAccount tokens changed (a refresh every hour or so per pod), get a focused
   * pass (only their containers are listed); a change to anything else (a ConfigMap or Secret pods may use) gets a
   * full one.
   */
  @Override
  public void objectsChanged(Set<String> keys) {
    boolean other = false;
    String tokens = io.outpost.protocol.Downstream.KIND_SERVICE_ACCOUNT_TOKEN + "/";
    for (String key : keys) {
      if (key.startsWith(io.outpost.protocol.Downstream.KIND_POD + "/")) {
        focusKeys.add(key);
      } else if (key.startsWith(tokens)) {
        focusKeys.add(io.outpost.protocol.Downstream.KIND_POD + "/" + key.substring(tokens.length()));
      } else {
        other = true;
      }
    }
    if (other) {
      resync();
    }
    focus();
  }

  /** An engine event about a container of pod {@code uid} (null: not a pod's): look at that pod. */
  private void engineEvent(String uid) {
    if (uid == null) {
      resync();
      return;
    }
    focusUids.add(uid);
    focus();
  }

  private void focus() {
    if ((!focusKeys.isEmpty() || !focusUids.isEmpty()) && focusQueued.compareAndSet(false, true)) {
      try {
        executor.execute(this::focusedPass);
      } catch (RejectedExecutionException e) {
        LOG.debug("Focused pass not queued: the manager is stopping");
      }
    }
  }

  private void focusedPass() {
    focusQueued.set(false);
    Set<String> keys = drain(focusKeys);
    Set<String> uids = drain(focusUids);
    if (passQueued.get() || (keys.isEmpty() && uids.isEmpty())) {
      return; // a full pass is queued: it looks at every pod
    }
    Reconciler.Focus focus;
    try {
      focus = reconciler.reconcile(keys, uids);
    } catch (RuntimeException e) {
      LOG.warn("Focused reconciliation pass failed", e);
      focus = new Reconciler.Focus(false, java.util.Map.of());
    }
    if (!focus.complete()) {
      resync();
    }
    focus.retries().forEach(this::lookAgain);
  }

  /** A focused pass for pod {@code uid} at {@code when} (its back-off ends), replacing one planned before. */
  private void lookAgain(String uid, java.time.Instant when) {
    long delay = Math.max(Reconciler.MIN_DELAY.toMillis(), Duration.between(java.time.Instant.now(), when)
        .toMillis());
    try {
      ScheduledFuture<?> previous = retryTimers.put(uid, executor.schedule(() -> {
        retryTimers.remove(uid);
        focusUids.add(uid);
        focus();
      }, delay, TimeUnit.MILLISECONDS));
      if (previous != null) {
        previous.cancel(false);
      }
    } catch (RejectedExecutionException e) {
      LOG.debug("Retry not scheduled: the manager is stopping");
    }
  }

  private static Set<String> drain(Set<String> pending) {
    Set<String> taken = new java.util.HashSet<>(pending);
    pending.removeAll(taken);
    return taken;
  }

  @Override
  public void resync() {
    if (passQueued.compareAndSet(false, true)) {
      try {
        executor.execute(this::pass);
      } catch (RejectedExecutionException e) {
        LOG.debug("Pass not queued: the manager is stopping");
      }
    }
  }

  @Override
  public List<PodRuntime> pods() {
    return reconciler.pods();
  }

  @Override
  public EngineStatus engine() {
    return reconciler.engine();
  }

  /** The node's and its pods' resource usage now (on the caller's thread: one engine request per container). */
  @Override
  public Snapshot sample() {
    Settings with = settings;
    return new UsageSampler(engine, with.nodeName(), new NodeUsageProbe(java.nio.file.Path.of("/proc"),
        with.volumesDir()), Clock.systemUTC()).sample();
  }

  @Override
  public String logs(String namespace, String pod, String container, int tailLines) {
    return PodLogs.read(engine, settings.nodeName(), namespace, pod, container, tailLines, MAX_LOG_BYTES);
  }

  /** kubectl logs/exec/port-forward for a pod this node runs (see {@link StreamOpener}). */
  @Override
  public PodStream open(StreamRequest request, StreamOutput output) throws StreamException {
    return streams.open(request, output);
  }

  /**
   * Follows the engine's events so that a container that dies is looked at at once, not at the next periodic pass;
   * reopened by the next pass if the stream ends (engine restarted).
   */
  private void followEvents() {
    if (events != null) {
      return;
    }
    try {
      events = engine.events(settings.nodeName(), this::engineEvent, why -> {
        LOG.debug("Engine events ended: {}", why);
        events = null;
      });
    } catch (RuntimeException e) {
      LOG.debug("Engine events not available yet: {}", e.getMessage());
    }
  }

  private void pass() {
    passQueued.set(false);
    followEvents();
    if (timer != null) {
      timer.cancel(false);
    }
    Duration next = settings.resyncInterval();
    long started = System.nanoTime();
    try {
      next = reconciler.reconcile();
      LOG.debug("Pass took {} ms; next in {} ms", (System.nanoTime() - started) / 1_000_000, next.toMillis());
    } catch (RuntimeException e) {
      LOG.warn("Reconciliation pass failed", e);
    }
    schedulePass(next);
  }

  /** The next full pass in {@code delay} (at least {@link Reconciler#MIN_DELAY}), replacing the one scheduled. */
  private void schedulePass(Duration delay) {
    if (executor.isShutdown()) {
      return;
    }
    Duration wait = delay.compareTo(Reconciler.MIN_DELAY) < 0 ? Reconciler.MIN_DELAY : delay;
    if (timer != null) {
      timer.cancel(false);
    }
    try {
      timer = executor.schedule(this::pass, wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("Next pass not scheduled: the manager is stopping");
    }
  }
}
