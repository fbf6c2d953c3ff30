package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.HandlerV1;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs lifecycle hook handlers as the kubelet's handler runner does ({@code pkg/kubelet/lifecycle/handlers.go}): exec
 * in the container, an HTTP GET to the pod IP (or {@code host}), or a sleep; never on the reconcile thread. It also
 * keeps each container run's {@code postStart}: started right after the manager starts the container, the container
 * counts as not yet started until it returns ({@code startContainer} blocks on it in the kubelet, so its status stays
 * {@code ContainerCreating} and it is not probed); if it fails, a Warning {@code FailedPostStartHook} ("PostStartHook
 * failed": the kubelet keeps the handler's output out of Events) and the container is killed with its grace period
 * ({@link ContainerStops}), after which the restart policy decides. Results that change what a pod reports wake the
 * manager.
 */
final class LifecycleHooks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LifecycleHooks.class);
  /** At most this many hook handlers run at once; more fail at once ("too many lifecycle hooks running"). */
  static final int MAX_RUNNING = 32;
  /**
   * How long a postStart exec or HTTP GET may run. The kubelet gives it no limit (a hook that never returns keeps
   * the container in ContainerCreating for ever); here it fails after this long, freeing its thread.
   */
  static final Duration POST_START_LIMIT = Duration.ofMinutes(10);

  private final ContainerEngine engine;
  private final EventSink events;
  private final Runnable wake;
  private final ThreadPoolExecutor pool;
  private final ScheduledExecutorService timer;
  private final ContainerStops stops;
  /** Container id → the postStart of its current run (until that run is over). */
  private final Map<String, PostStart> postStarts = new ConcurrentHashMap<>();

  /** The postStart hook of one run of a container; {@code result} null on success, else the kubelet's message. */
  private record PostStart(Instant run, CompletableFuture<String> result) {}

  /** What a container run's postStart means for its status. */
  enum Phase {
    /** No postStart runs for this run (none asked for, it succeeded, or the run was adopted after a restart). */
    NONE,
    /** Still running: the container is not reported started. */
    RUNNING,
    /** Failed: the container is being killed. */
    FAILED
  }

  LifecycleHooks(ContainerEngine engine, EventSink events, Runnable wake) {
    this.engine = engine;
    this.events = events;
    this.wake = wake;
    ThreadFactory threads = runnable -> {
      Thread thread = new Thread(runnable, "outpost-hooks");
      thread.setDaemon(true);
      thread.setContextClassLoader(LifecycleHooks.class.getClassLoader());
      return thread;
    };
    this.pool = new ThreadPoolExecutor(0, MAX_RUNNING, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), threads);
    this.timer = Executors.newSingleThreadScheduledExecutor(threads);
    this.stops = new ContainerStops(engine, events, this, timer);
  }

  /** Graceful kills (preStop, stop signal, SIGKILL at the deadline) of containers outside pod deletion. */
  ContainerStops stops() {
    return stops;
  }

  ScheduledExecutorService timer() {
    return timer;
  }

  /**
   * Runs {@code handler} for container {@code spec} of pod {@code ref} (engine container {@code id}); completes with
   * null on success or the kubelet's failure message ({@code handlers.go Run}). {@code limit} bounds an exec or an
   * HTTP GET.
   */
  CompletableFuture<String> run(ObjectRef ref, ContainerV1 spec, HandlerV1 handler, String id, String podIP,
      Duration limit) {
    String where = " for Container \"" + spec.name() + "\" in Pod \"" + pod(ref) + "\" failed - error: ";
    if (handler.sleepSeconds() != null) {
      CompletableFuture<String> slept = new CompletableFuture<>();
      timer.schedule(() -> slept.complete(null), handler.sleepSeconds(), TimeUnit.SECONDS);
      return slept;
    }
    if (handler.unsupported() != null) {
      return CompletableFuture.completedFuture("Cannot run handler: " + handler.unsupported());
    }
    try {
      return CompletableFuture.supplyAsync(() -> handler.exec() != null ? exec(handler, where, id, limit)
          : httpGet(handler, where, podIP, limit), pool);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture("Cannot run handler: too many lifecycle hooks running (at most "
          + MAX_RUNNING + ")");
    }
  }

  private String exec(HandlerV1 handler, String where, String id, Duration limit) {
    String error;
    try {
      Integer code = engine.exec(id, handler.exec(), limit);
      error = code == null ? "command '" + String.join(" ", handler.exec()) + "' timed out after "
          + limit.toSeconds() + "s"
          : code == 0 ? null : "command '" + String.join(" ", handler.exec()) + "' exited with " + code + ": ";
    } catch (EngineException e) {
      error = e.getMessage();
    }
    // Go's %v of a []string is "[a b c]"; the output is not kept here, so the message part is empty.
    return error == null ? null : "Exec lifecycle hook ([" + String.join(" ", handler.exec()) + "])" + where
        + error + ", message: \"\"";
  }

  private String httpGet(HandlerV1 handler, String where, String podIP, Duration limit) {
    try {
      HttpGets.get(handler.httpGet(), podIP, "lifecycle", limit); // any status code is success, as in handlers.go
      return null;
    } catch (IOException e) {
      return "HTTP lifecycle hook (" + handler.httpGet().path() + ")" + where + "Get \""
          + HttpGets.url(handler.httpGet(), podIP) + "\": " + e.getMessage();
    }
  }

  /**
   * Starts the postStart hook of a run of a container the manager has just started (nothing if it has none or it
   * runs already for that run).
   */
  void postStart(ObjectRef ref, PodV1 pod, ContainerV1 spec, EngineContainer container, String podIP) {
    if (spec.lifecycle() == null || spec.lifecycle().postStart() == null || container == null
        || !container.running()) {
      return;
    }
    PostStart current = postStarts.get(container.id());
    if (current != null && Objects.equals(current.run(), container.started())) {
      return;
    }
    String ip = podIP != null ? podIP : container.ip();
    CompletableFuture<String> result = run(ref, spec, spec.lifecycle().postStart(), container.id(), ip,
        POST_START_LIMIT);
    postStarts.put(container.id(), new PostStart(container.started(), result));
    result.whenComplete((message, error) -> {
      String failure = error != null ? String.valueOf(error.getMessage()) : message;
      if (failure == null) {
        LOG.debug("postStart hook of container {} of pod {} succeeded", spec.name(), ref.key());
      } else {
        failedPostStart(ref, pod, spec, container, ip, failure);
      }
      wake.run();
    });
  }

  private void failedPostStart(ObjectRef ref, PodV1 pod, ContainerV1 spec, EngineContainer container, String ip,
      String failure) {
    LOG.warn("postStart hook of container {} of pod {} failed: {}", spec.name(), ref.key(), failure);
    String path = PodWorker.fieldPath(pod, spec.name());
    // kuberuntime_container.go startContainer: the message stays out of the Event (it may hold secrets).
    events.warning(ref, "FailedPostStartHook", "PostStartHook failed", path);
    // killContainer(…, "FailedPostStartHook", reasonFailedPostStartHook, nil): the Killing event's message is that.
    stops.kill(ref, spec, path, container, ip, pod.gracePeriodSeconds(), "FailedPostStartHook");
  }

  /**
   * Whether the running {@code container} is still starting: its postStart hook (started now if {@code startedNow},
   * the manager having just started it) has not returned, or failed and the container is being killed.
   */
  boolean starting(ObjectRef ref, PodV1 pod, ContainerV1 spec, EngineContainer container, String podIP,
      boolean startedNow) {
    if (startedNow) {
      postStart(ref, pod, spec, container, podIP);
    }
    return postStartPhase(container) != Phase.NONE;
  }

  /** Where the postStart of the container's current run stands. */
  Phase postStartPhase(EngineContainer container) {
    PostStart current = postStarts.get(container.id());
    if (current == null || !Objects.equals(current.run(), container.started())) {
      return Phase.NONE;
    }
    if (!current.result().isDone()) {
      return Phase.RUNNING;
    }
    String failure = current.result().getNow(null);
    if (failure == null && !current.result().isCompletedExceptionally()) {
      postStarts.remove(container.id(), current);
      return Phase.NONE;
    }
    return Phase.FAILED;
  }

  /** Forgets the postStart of a container whose run is over (exited or removed). */
  void runOver(String id) {
    postStarts.remove(id);
  }

  /** Forgets a container that is gone. */
  void forget(String id) {
    runOver(id);
    stops.forget(id);
  }

  /** The kubelet's {@code format.Pod}: {@code name_namespace(uid)}. */
  static String pod(ObjectRef ref) {
    return ref.name() + "_" + ref.namespace() + "(" + ref.uid() + ")";
  }

  @Override
  public void close() {
    pool.shutdownNow();
    timer.shutdownNow();
    postStarts.clear();
  }
}
