package io.outpost.containers.impl;

import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import java.io.Closeable;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the manager remembers about one pod between passes. Only the reconciler's thread touches it, except
 * {@link Pull#finish}, which an engine thread calls (its fields are volatile).
 */
final class PodState {
  final Backoff backoff = new Backoff(() -> ThreadLocalRandom.current().nextDouble());
  final Map<String, Memory> containers = new HashMap<>();
  /** When the pod's containers get killed if they ignore the stop signal; null while the pod is not stopping. */
  Instant killDeadline;
  PodStatusReport lastRecorded;
  /** The pod's IP: its infra container's, or null (no infra container yet, or a pod created without one). */
  String podIP;
  /** The cluster DNS decision of the pod's sandbox ({@link Sandbox.Result#dns}), null if it recorded none. */
  String sandboxDns;
  /**
   * When the manager first looked at the pod (RFC 3339, whole seconds): the pod's {@code startTime}, continued
   * from the last recorded status after a restart.
   */
  String firstSeen;
  /** Why the pod was evicted ({@link Evictions}), or null; an evicted pod's containers are never started again. */
  String evicted;
  /** The evicted pod's containers are gone and its volumes removed. */
  boolean evictionDone;
  /** The pod was active longer than its {@code activeDeadlineSeconds} ({@link ActiveDeadline}). */
  boolean deadlineExceeded;
  /** The containers and sandbox of a pod past its deadline are stopped. */
  boolean deadlineStopped;
  /** The init containers as the last pass saw them, in order. */
  List<ContainerView> initViews = List.of();
  /** The ephemeral containers as the last pass saw them, in order ({@link EphemeralContainers}). */
  List<ContainerView> ephemeralViews = List.of();

  Memory container(String name) {
    return containers.computeIfAbsent(name, n -> new Memory());
  }

  /** What the manager remembers about one container of the pod. */
  static final class Memory {
    /**
     * Restarts of this container (the engine does not count restarts it was asked to do): continued from the store
     * when the manager restarts.
     */
    int restartCount;
    ContainerStateV1 lastState;
    /** Why there is no running container, when the manager knows better than the engine; else null. */
    ContainerStateV1 waiting;
    /** The last terminated state seen, kept to report a deleted pod's containers after their removal. */
    ContainerStateV1 terminated;
    Pull pull;
    /** An image pull of this container succeeded and no container was created from it yet. */
    boolean pulled;
    /** The stop signal (SIGTERM) was sent; SIGKILL was sent. */
    boolean signalled;
    boolean killed;
  }

  /** An image pull in flight or finished but not yet seen by the reconciler. */
  static final class Pull {
    final String image;
    final Instant started;
    volatile Closeable handle;
    volatile boolean done;
    volatile String error;

    Pull(String image, Instant started) {
      this.image = image;
      this.started = started;
    }

    void finish(String outcome) {
      error = outcome;
      done = true;
    }
  }
}
