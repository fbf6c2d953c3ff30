package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.VolumeV1;
import io.outpost.store.StoredPod;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet's local-storage eviction ({@code eviction_manager.go localStorageEviction}, {@code
 * emptyDirLimitEviction}) for disk-backed emptyDirs with a {@code sizeLimit}: their usage is measured every
 * {@link Settings.Storage#checkInterval()} on this class's own thread ({@code outpost-containers-storage}, so that a
 * long walk never delays a reconcile pass), and a pod found over a limit is evicted: a Warning Event {@code Evicted}
 * with the kubelet's message ({@code Usage of EmptyDir volume "<name>" exceeds the limit "<limit>". }), phase
 * {@code Failed} with reason {@code Evicted} and that message, its containers stopped with a one-second grace period
 * (the kubelet's {@code immediateEvictionGracePeriodSeconds}) and never started again, and its volumes removed once
 * they are stopped (the disk is what eviction frees). A volume the bounded walk cannot measure ({@link VolumeUsage})
 * counts as over its limit, with a message that says so. An eviction survives a restart of the node (it is read back
 * from the pod's recorded status). Memory-backed emptyDirs need no walk: their tmpfs is sized to the limit.
 */
final class Evictions implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Evictions.class);
  static final String REASON = "Evicted";
  /** The kubelet's {@code immediateEvictionGracePeriodSeconds}. */
  static final long GRACE_SECONDS = 1;
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final Volumes volumes;
  private final Path volumesDir;
  private final EventSink events;
  private final Runnable wake;
  private final Clock clock;
  private final Settings.Storage settings;
  private final VolumeUsage usage;
  private final ExecutorService walker;
  private final AtomicBoolean walking = new AtomicBoolean();
  /** Pods found over a limit by the last walks and not yet evicted: uid → the eviction message. */
  private final Map<String, String> found = new ConcurrentHashMap<>();
  private volatile Instant lastWalk;

  /**
   * {@code volumesDir}: where pod volumes live, whose filesystem is the node's nodefs; {@code wake} asks for a pass,
   * so that a pod found over a limit is evicted at once rather than at the next timed pass.
   */
  Evictions(Volumes volumes, Path volumesDir, EventSink events, Runnable wake, Clock clock,
      Settings.Storage settings) {
    this.wake = wake;
    this.volumes = volumes;
    this.volumesDir = volumesDir;
    this.events = events;
    this.clock = clock;
    this.settings = settings;
    this.usage = new VolumeUsage(settings.walkMaxEntries());
    this.walker = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, ContainerManagerComponent.THREAD_NAME + "-storage");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Whether a recorded status is an eviction (then the pod stays evicted, also after a restart of the node). */
  static boolean isEviction(PodStatusReport status) {
    return status != null && "Failed".equals(status.phase()) && REASON.equals(status.reason());
  }

  /** The kubelet's {@code emptyDirMessageFmt}, trailing space included. */
  static String message(String volume, long limitBytes) {
    return "Usage of EmptyDir volume \"" + volume + "\" exceeds the limit \""
        + ByteQuantities.decimalOrBinary(limitBytes) + "\". ";
  }

  /**
   * Starts measuring the pods' sized emptyDirs on the storage thread, and nodefs if it has a threshold, unless a walk
   * runs or the last one began less than the check interval ago. Reconciler thread, once per full pass;
   * {@code evicted} tells the pods evicted already (never measured again).
   */
  void measureIfDue(List<StoredPod> pods, Instant now, java.util.function.Predicate<String> evicted) {
    Instant last = lastWalk;
    if (last != null && now.isBefore(last.plus(settings.checkInterval())) || !walking.compareAndSet(false, true)) {
      return;
    }
    lastWalk = now;
    List<StoredPod> candidates = pods.stream().filter(p -> !p.pod().deleting() && !evicted.test(p.ref().uid()))
        .toList();
    try {
      walker.execute(() -> {
        try {
          candidates.stream().filter(p -> !sized(p).isEmpty()).forEach(this::measure);
          relievePressure(candidates);
        } finally {
          walking.set(false);
        }
        if (!found.isEmpty()) {
          wake.run();
        }
      });
    } catch (RejectedExecutionException e) {
      walking.set(false); // closing
    }
  }

  /**
   * The eviction message if the pod is evicted — just now (found over a limit: the Event is recorded and its
   * containers get {@link #GRACE_SECONDS} to stop) or before — else null. The pod's step, one thread per pod.
   */
  String evicted(StoredPod stored, PodState state, Instant now) {
    if (state.evicted != null) {
      if (state.killDeadline == null && !state.evictionDone) { // read back after a restart, mid-eviction
        state.killDeadline = now.plusSeconds(GRACE_SECONDS);
      }
      return state.evicted;
    }
    String message = found.remove(stored.ref().uid());
    if (message == null || stored.pod().deleting()) {
      return null;
    }
    state.evicted = message;
    if (state.killDeadline == null) {
      state.killDeadline = now.plusSeconds(GRACE_SECONDS);
    }
    LOG.warn("Evicting pod {}: {}", stored.ref().key(), message);
    events.warning(stored.ref(), REASON, message);
    return message;
  }

  /**
   * The status of an evicted pod: {@code report} (its containers as they stop) with phase Failed, reason Evicted and
   * the message, as the kubelet's status manager writes it.
   */
  static PodStatusReport status(PodStatusReport report, String message) {
    return new PodStatusReport(report.v(), report.node(), report.ref(), "Failed", REASON, message, report.podIP(),
        report.hostIP(), report.startTime(), report.containers(), report.stopped(), report.initContainers(),
        report.sandboxReady());
  }

  /**
   * One step of stopping an evicted pod's containers (as for a deletion, with the eviction's grace period); once they
   * are all gone, its volumes are removed: what it wrote is what the eviction frees. Returns the containers' views.
   */
  List<ContainerView> stop(PodWorker worker, StoredPod stored, List<EngineContainer> containers, PodState state,
      Instant now) {
    List<EngineContainer> remaining = new java.util.ArrayList<>();
    List<ContainerView> views = worker.terminate(stored.ref(), stored.pod(), containers, state, now, remaining);
    if (remaining.isEmpty() && !state.evictionDone) {
      volumes.remove(stored.ref().uid());
      state.evictionDone = true;
      LOG.info("Evicted pod {}: its containers are stopped and its volumes removed", stored.ref().key());
    }
    return views;
  }

  /** Forgets a pod the node no longer holds. */
  void forget(String uid) {
    found.remove(uid);
  }

  private static List<VolumeV1> sized(StoredPod pod) {
    List<VolumeV1> all = pod.pod().volumes() == null ? List.of() : pod.pod().volumes();
    return all.stream().filter(v -> v.emptyDir() != null && !v.emptyDir().memory()
        && v.emptyDir().sizeLimitBytes() != null && v.emptyDir().sizeLimitBytes() > 0).toList();
  }

  /** Measures one pod's sized disk emptyDirs (storage thread); notes the first found over its limit. */
  private void measure(StoredPod pod) {
    ObjectRef ref = pod.ref();
    Path parent = volumes.emptyDirs(ref.uid());
    if (found.containsKey(ref.uid()) || !Files.isDirectory(parent, NOFOLLOW)) {
      return;
    }
    try (SecureDirectoryStream<Path> dir = Trees.open(parent)) {
      for (VolumeV1 volume : sized(pod)) {
        long limit = volume.emptyDir().sizeLimitBytes();
        VolumeUsage.Usage used;
        try {
          used = usage.measure(dir, Path.of(Volumes.emptyDirName(volume)), limit);
        } catch (FileSystemException e) {
          continue; // not created yet (no container mounts it so far), or removed meanwhile
        }
        String message = null;
        if (used.bytes() > limit) {
          message = message(volume.name(), limit);
        } else if (!used.complete()) {
          message = "Usage of EmptyDir volume \"" + volume.name() + "\" cannot be measured within the node's "
              + "bounds (" + used.incomplete() + "); its limit is \"" + ByteQuantities.decimalOrBinary(limit) + "\". ";
        }
        if (message != null) {
          LOG.info("Pod {}: emptyDir {} at {} bytes or more, limit {}", ref.key(), volume.name(), used.bytes(),
              limit);
          found.put(ref.uid(), message);
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Measuring the emptyDir volumes of pod {} failed: {}", ref.key(), e.getMessage());
    }
  }

  /**
   * Under nodefs pressure, the kubelet's disk-pressure eviction ({@code managerImpl.synchronize}): unless a pod was
   * just found over an emptyDir limit, at most one pod per check interval, the one with the largest usage of its
   * disk-backed emptyDirs (the part of a pod's ephemeral storage the node measures: ranking by priority and by
   * requests, as the kubelet does first, needs fields the wire format does not carry). Pods that wrote nothing there
   * are not evicted: that would free nothing the node can see.
   */
  private void relievePressure(List<StoredPod> pods) {
    NodefsPressure nodefs = settings.nodefs();
    if (nodefs == null || !found.isEmpty()) {
      return;
    }
    NodefsPressure.Observation pressure;
    try {
      pressure = nodefs.observe(volumesDir);
    } catch (IOException e) {
      LOG.warn("Measuring the filesystem of {} failed: {}", volumesDir, e.getMessage());
      return;
    }
    if (pressure == null) {
      return;
    }
    StoredPod largest = null;
    long most = 0;
    for (StoredPod pod : pods) {
      long used = used(pod);
      if (used > most) {
        largest = pod;
        most = used;
      }
    }
    if (largest == null) {
      LOG.warn("nodefs.available {} < {} on {}, but no pod has written to an emptyDir: nothing to evict",
          pressure.available(), pressure.threshold(), volumesDir);
      return;
    }
    LOG.info("nodefs.available {} < {} on {}: pod {} uses the most emptyDir storage ({} bytes)",
        pressure.available(), pressure.threshold(), volumesDir, largest.ref().key(), most);
    found.put(largest.ref().uid(), pressure.message());
  }

  /** What a pod's disk-backed emptyDirs hold, as far as the bounded walks reach. */
  private long used(StoredPod pod) {
    Path parent = volumes.emptyDirs(pod.ref().uid());
    if (pod.pod().volumes() == null || !Files.isDirectory(parent, NOFOLLOW)) {
      return 0;
    }
    long total = 0;
    try (SecureDirectoryStream<Path> dir = Trees.open(parent)) {
      for (VolumeV1 volume : pod.pod().volumes()) {
        if (volume.emptyDir() != null && !volume.emptyDir().memory()) {
          try {
            total += usage.measure(dir, Path.of(Volumes.emptyDirName(volume)), Long.MAX_VALUE).bytes();
          } catch (FileSystemException e) {
            // not created yet, or removed meanwhile
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("Measuring the emptyDir volumes of pod {} failed: {}", pod.ref().key(), e.getMessage());
    }
    return total;
  }

  @Override
  public void close() {
    walker.shutdownNow();
  }
}
