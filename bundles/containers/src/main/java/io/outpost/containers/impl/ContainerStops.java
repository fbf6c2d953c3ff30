package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1.ContainerV1;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stopping a container as the kubelet's {@code killContainer} does (kuberuntime_container.go): a Normal
 * {@code Killing} Event; the {@code preStop} hook, if any and the grace period is not zero, given at most the grace
 * period (its time counts against it; a failure is a Warning {@code FailedPreStopHook} "PreStopHook failed" and the
 * stop goes on); then the container's stop signal ({@code lifecycle.stopSignal} or the image's {@code STOPSIGNAL},
 * which the engine keeps as the container's {@code StopSignal}; SIGTERM if it has none), and SIGKILL once what is left
 * of the grace period — never less than {@value #MINIMUM_GRACE_SECONDS} s ({@code minimumGracePeriodInSeconds}) —
 * has passed.
 *
 * <p>Two ways in: {@link #kill} runs a whole stop on its own (a failed liveness/startup probe or postStart hook: the
 * container is restarted afterwards by the manager), and {@link #preStop} is the hook stage of a stop the reconciler
 * drives step by step (pod deletion, eviction), which then sends the signals itself.
 */
final class ContainerStops {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerStops.class);
  /** kuberuntime_container.go {@code minimumGracePeriodInSeconds}. */
  static final long MINIMUM_GRACE_SECONDS = 2;

  private final ContainerEngine engine;
  private final EventSink events;
  private final LifecycleHooks hooks;
  private final ScheduledExecutorService timer;
  /** Container id → the preStop hook of a reconciler-driven stop, from its first step until the signal is sent. */
  private final Map<String, CompletableFuture<String>> preStops = new ConcurrentHashMap<>();

  ContainerStops(ContainerEngine engine, EventSink events, LifecycleHooks hooks, ScheduledExecutorService timer) {
    this.engine = engine;
    this.events = events;
    this.hooks = hooks;
    this.timer = timer;
  }

  /** The signal that stops {@code container}: its {@code StopSignal}, else SIGTERM. */
  static String stopSignal(EngineContainer container) {
    return container.stopSignal() == null || container.stopSignal().isBlank() ? "SIGTERM" : container.stopSignal();
  }

  /**
   * Stops the current run of {@code container} gracefully, without blocking the caller: Killing Event with
   * {@code message}, preStop within {@code graceSeconds}, stop signal, SIGKILL when the rest of the grace period is
   * over (if the same run still runs).
   */
  void kill(ObjectRef ref, ContainerV1 spec, String fieldPath, EngineContainer container, String podIP,
      long graceSeconds, String message) {
    events.normal(ref, "Killing", message, fieldPath);
    Instant start = Instant.now();
    CompletableFuture<String> hook = hook(ref, spec, fieldPath, container, podIP, graceSeconds);
    CompletableFuture<Object> gate = new CompletableFuture<>();
    if (hook == null) {
      gate.complete(null);
    } else {
      hook.whenComplete((result, error) -> gate.complete(null));
      timer.schedule(() -> gate.complete(null), graceSeconds, TimeUnit.SECONDS);
    }
    gate.thenRun(() -> {
      long elapsed = Duration.between(start, Instant.now()).toSeconds();
      long remaining = Math.max(MINIMUM_GRACE_SECONDS, graceSeconds - elapsed);
      signal(container, stopSignal(container));
      LOG.info("Stopping container {} of pod {} ({}; {} s before SIGKILL)", spec.name(), ref.key(), message,
          remaining);
      timer.schedule(() -> killIfStillRunning(container), remaining, TimeUnit.SECONDS);
    });
  }

  /** What the preStop stage of a reconciler-driven stop says; {@code killDeadline}: when SIGKILL is due. */
  record Stage(boolean first, boolean proceed, Instant killDeadline) {}

  /**
   * The preStop stage of a stop the reconciler drives: on the first call ({@code first}) starts the container's
   * preStop hook if it has one and {@code graceSeconds > 0}; {@code proceed} once the hook has returned or
   * {@code deadline} (the end of the grace period) has passed — the caller then sends the stop signal and sends
   * SIGKILL at {@code killDeadline}: {@code deadline}, or, after a hook that left less, {@value
   * #MINIMUM_GRACE_SECONDS} s from now (the kubelet's minimum).
   */
  Stage preStop(ObjectRef ref, ContainerV1 spec, String fieldPath, EngineContainer container, String podIP,
      long graceSeconds, Instant deadline, Instant now) {
    CompletableFuture<String> running = preStops.get(container.id());
    boolean first = running == null;
    if (first) {
      running = hook(ref, spec, fieldPath, container, podIP, graceSeconds);
      if (running == null) {
        return new Stage(true, true, deadline);
      }
      preStops.put(container.id(), running);
    }
    if (running.isDone() || !now.isBefore(deadline)) {
      preStops.remove(container.id());
      if (!running.isDone()) {
        LOG.info("preStop hook of container {} of pod {} did not finish within the grace period", spec.name(),
            ref.key());
      }
      Instant minimum = now.plusSeconds(MINIMUM_GRACE_SECONDS);
      return new Stage(first, true, deadline.isBefore(minimum) ? minimum : deadline);
    }
    return new Stage(first, false, deadline);
  }

  /** Forgets a container that is gone. */
  void forget(String id) {
    preStops.remove(id);
  }

  /** Starts the preStop hook, or null if there is none to run (none asked for, or no grace period). */
  private CompletableFuture<String> hook(ObjectRef ref, ContainerV1 spec, String fieldPath,
      EngineContainer container, String podIP, long graceSeconds) {
    if (spec == null || spec.lifecycle() == null || spec.lifecycle().preStop() == null || graceSeconds <= 0) {
      return null;
    }
    String ip = podIP != null ? podIP : container.ip();
    CompletableFuture<String> hook = hooks.run(ref, spec, spec.lifecycle().preStop(), container.id(), ip,
        Duration.ofSeconds(graceSeconds));
    hook.whenComplete((failure, error) -> {
      String why = error != null ? String.valueOf(error.getMessage()) : failure;
      if (why != null) {
        LOG.warn("preStop hook of container {} of pod {} failed: {}", spec.name(), ref.key(), why);
        // kuberuntime_container.go executePreStopHook: the message stays out of the Event (it may hold secrets).
        events.warning(ref, "FailedPreStopHook", "PreStopHook failed", fieldPath);
      }
    });
    return hook;
  }

  private void signal(EngineContainer container, String signal) {
    try {
      engine.kill(container.id(), signal);
    } catch (EngineException e) {
      LOG.debug("Signal {} to {} failed (it may have exited): {}", signal, container.name(), e.getMessage());
    }
  }

  private void killIfStillRunning(EngineContainer container) {
    try {
      engine.inspect(container.id()).filter(c -> c.running() && Objects.equals(c.started(), container.started()))
          .ifPresent(c -> signal(c, "SIGKILL"));
    } catch (EngineException e) {
      LOG.debug("Inspecting {} before SIGKILL failed: {}", container.name(), e.getMessage());
    }
  }
}
