package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.ProbeV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Liveness, readiness and startup probes of running containers, as the kubelet runs them: on their own threads
 * (never on the reconcile thread), every {@code periodSeconds} after {@code initialDelaySeconds}, each attempt bounded
 * by {@code timeoutSeconds}; results count against {@code successThreshold}/{@code failureThreshold}. Readiness
 * decides the container's {@code ready}; a failed liveness or startup probe kills the container, which the manager
 * then restarts with back-off. Until a startup probe succeeds the other two do not run. Results that change what the
 * pod reports wake the manager. Probing is per run of a container: a restart keeps the container's id, so every
 * (re)start (a new engine start time) arms all its probes afresh — startup gating again, readiness from not ready,
 * no failure carried over — and the previous run's probes stop, as under the kubelet, whose prober workers are per
 * container instance.
 */
final class Prober implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Prober.class);

  private final ContainerEngine engine;
  private final EventSink events;
  private final Runnable wake;
  private final ScheduledExecutorService scheduler;
  /** Stops a container whose liveness or startup probe failed; null: SIGKILL at once. */
  private final ContainerStops stops;
  /** Per container id: the probes' state of its current run. */
  private final Map<String, Probes> probes = new ConcurrentHashMap<>();
  /** Containers seen running in the current pass (pods are worked on in parallel). */
  private final Set<String> seen = ConcurrentHashMap.newKeySet();

  Prober(ContainerEngine engine, EventSink events, Runnable wake) {
    this(engine, events, wake, null);
  }

  /**
   * A prober that stops a container failing its liveness or startup probe as the kubelet does ({@link
   * ContainerStops}: preStop hook, stop signal, SIGKILL after the probe's {@code terminationGracePeriodSeconds}, else
   * the pod's).
   */
  Prober(ContainerEngine engine, EventSink events, Runnable wake, ContainerStops stops) {
    this.stops = stops;
    this.engine = engine;
    this.events = events;
    this.wake = wake;
    this.scheduler = Executors.newScheduledThreadPool(2, runnable -> {
      Thread thread = new Thread(runnable, "outpost-probes");
      thread.setDaemon(true);
      thread.setContextClassLoader(Prober.class.getClassLoader());
      return thread;
    });
  }

  /** The probe state of one run of a container. */
  private final class Probes {
    final ObjectRef pod;
    final String container;
    /** The container's Event {@code fieldPath}: {@code spec.initContainers{name}} for a sidecar. */
    final String fieldPath;
    final String id;
    /** The engine's start time of the run probed. */
    final Instant run;
    final String ip;
    final ContainerV1 spec;
    /** The pod's grace period ({@code deletionGracePeriodSeconds}, else {@code terminationGracePeriodSeconds}); null
     *  if not known (the container is then killed at once). */
    final Long podGrace;
    final boolean deleting;
    final EngineContainer engineContainer;
    volatile boolean started;
    volatile boolean ready;
    volatile boolean killed;
    /** Replaced by a later run's probes, or the container is gone: attempts in flight no longer act. */
    volatile boolean cancelled;
    final Map<String, ScheduledFuture<?>> tasks = new ConcurrentHashMap<>();
    final Map<String, int[]> counts = new ConcurrentHashMap<>();

    Probes(ObjectRef pod, PodV1 podSpec, ContainerV1 spec, EngineContainer engineContainer, String ip,
        boolean init) {
      this.pod = pod;
      this.podGrace = podSpec == null ? null : podSpec.gracePeriodSeconds();
      this.deleting = podSpec != null && podSpec.deletionGracePeriodSeconds() != null;
      this.engineContainer = engineContainer;
      this.container = spec.name();
      this.fieldPath = io.outpost.protocol.EventReport.containerPath(spec.name(), init);
      this.spec = spec;
      this.id = engineContainer.id();
      this.run = engineContainer.started();
      this.ip = ip;
      this.started = spec.probes().startup() == null;
      this.ready = spec.probes().readiness() == null;
    }

    void schedule(String kind, ProbeV1 probe) {
      if (probe != null) {
        tasks.put(kind, scheduler.scheduleWithFixedDelay(() -> attempt(this, kind, probe),
            probe.initialDelay() * 1000L, probe.period() * 1000L, TimeUnit.MILLISECONDS));
      }
    }

    /** Stops future attempts. Never interrupts one in flight: an interrupted engine call can break the engine
     *  client's connection that other callers share. */
    void cancel() {
      cancelled = true;
      tasks.values().forEach(task -> task.cancel(false));
    }
  }

  /**
   * Starts probing a running container if it has probes and this run of it is not probed yet: a container restarted
   * since its probes were armed (another start time) gets new ones. {@code podSpec}: the pod, whose grace periods a
   * kill by a probe honours (null: killed at once); {@code init}: the container is a native sidecar, for its Events.
   */
  void watch(ObjectRef pod, PodV1 podSpec, ContainerV1 spec, EngineContainer container, String podIP,
      boolean init) {
    seen.add(container.id());
    if (spec.probes() == null) {
      return;
    }
    Probes current = probes.get(container.id());
    if (current != null && java.util.Objects.equals(current.run, container.started())) {
      return;
    }
    Probes state = new Probes(pod, podSpec, spec, container, podIP != null ? podIP : container.ip(), init);
    probes.put(container.id(), state);
    if (current != null) {
      current.cancel();
      LOG.debug("Container {} of pod {} started again: its probes start over", spec.name(), pod.key());
    }
    state.schedule("Startup", spec.probes().startup());
    state.schedule("Liveness", spec.probes().liveness());
    state.schedule("Readiness", spec.probes().readiness());
  }

  /** False while a probe keeps the container from being ready (readiness not yet passed, or not started). */
  boolean ready(String containerId) {
    Probes state = probes.get(containerId);
    return state == null || (state.started && state.ready && !state.killed);
  }

  /** False while a startup probe has not passed for the container's current run (the kubelet's {@code started}). */
  boolean started(String containerId) {
    Probes state = probes.get(containerId);
    return state == null || state.started;
  }

  /** At the end of a pass: stops probing every container the pass did not see running. */
  void endPass() {
    for (Map.Entry<String, Probes> entry : probes.entrySet()) {
      if (!seen.contains(entry.getKey())) {
        entry.getValue().cancel();
        probes.remove(entry.getKey());
      }
    }
    seen.clear();
  }

  private void attempt(Probes state, String kind, ProbeV1 probe) {
    if (state.killed || state.cancelled || (!"Startup".equals(kind) && !state.started)) {
      return;
    }
    String failure;
    try {
      failure = run(state, probe);
    } catch (RuntimeException e) {
      failure = e.getMessage();
    }
    if (state.cancelled || Thread.currentThread().isInterrupted()) {
      return; // the run it probed is over, or the prober is closing: the result says nothing about the current run
    }
    int[] count = state.counts.computeIfAbsent(kind, k -> new int[2]); // [successes, failures] in a row
    if (failure == null) {
      count[0]++;
      count[1] = 0;
      if (count[0] >= probe.successes()) {
        succeeded(state, kind);
      }
      return;
    }
    count[1]++;
    count[0] = 0;
    events.warning(state.pod, "Unhealthy", kind + " probe failed: " + failure,
        state.fieldPath);
    if (count[1] >= probe.failures()) {
      failed(state, kind, probe, failure);
    }
  }

  private void succeeded(Probes state, String kind) {
    if ("Startup".equals(kind) && !state.started) {
      state.started = true;
      state.tasks.remove("Startup").cancel(false);
      wake.run();
    } else if ("Readiness".equals(kind) && !state.ready) {
      state.ready = true;
      LOG.info("Container {} of pod {} is ready", state.container, state.pod.key());
      wake.run();
    }
  }

  private void failed(Probes state, String kind, ProbeV1 probe, String failure) {
    if ("Readiness".equals(kind)) {
      if (state.ready) {
        state.ready = false;
        LOG.info("Container {} of pod {} is not ready: {}", state.container, state.pod.key(), failure);
        wake.run();
      }
      return;
    }
    state.killed = true;
    state.cancel();
    if (probes.get(state.id) != state) {
      return; // a newer run replaced this one while the attempt ran: never kill it for the old run's failure
    }
    String message = "Container " + state.container + " failed " + kind.toLowerCase()
        + " probe, will be restarted";
    String path = state.fieldPath;
    LOG.warn("Container {} of pod {} failed its {} probe ({}): killing it", state.container, state.pod.key(),
        kind.toLowerCase(), failure);
    if (stops != null && state.podGrace != null) {
      // kuberuntime_container.go setTerminationGracePeriod: a deleted pod's grace period, else the probe's
      // terminationGracePeriodSeconds, else the pod's.
      long grace = !state.deleting && probe.terminationGracePeriodSeconds() != null
          ? probe.terminationGracePeriodSeconds() : state.podGrace;
      stops.kill(state.pod, state.spec, path, state.engineContainer, state.ip, grace, message);
    } else {
      events.normal(state.pod, "Killing", message, path);
      try {
        engine.kill(state.id, "SIGKILL");
      } catch (EngineException e) {
        LOG.debug("Killing {} failed: {}", state.id, e.getMessage());
      }
    }
    wake.run();
  }

  /** One attempt: null on success, else why it failed. */
  private String run(Probes state, ProbeV1 probe) {
    Duration timeout = Duration.ofSeconds(probe.timeout());
    if (probe.unsupported() != null) {
      return probe.unsupported();
    }
    if (probe.exec() != null) {
      Integer code = engine.exec(state.id, probe.exec(), timeout);
      return code == null ? "command timed out after " + probe.timeout() + "s"
          : code == 0 ? null : "command exited with " + code;
    }
    if (probe.grpc() != null) {
      if (state.ip == null) {
        return "the pod has no IP";
      }
      return GrpcHealthCheck.check(state.ip, probe.grpc().port(), probe.grpc().service(), timeout);
    }
    if (probe.tcpPort() != null) {
      if (state.ip == null) {
        return "the pod has no IP";
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(state.ip, probe.tcpPort()), (int) timeout.toMillis());
        return null;
      } catch (IOException e) {
        return "dial tcp " + state.ip + ":" + probe.tcpPort() + ": " + e.getMessage();
      }
    }
    ProbeV1.HttpGetV1 get = probe.httpGet();
    try {
      int status = HttpGets.get(get, state.ip, "probe", timeout);
      return status >= 200 && status < 400 ? null : "HTTP probe failed with statuscode: " + status;
    } catch (IOException e) {
      return "Get \"" + HttpGets.url(get, state.ip) + "\": " + e.getMessage();
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    probes.clear();
  }
}
