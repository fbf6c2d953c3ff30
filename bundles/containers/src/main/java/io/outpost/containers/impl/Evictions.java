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
import java.util.concurrent.atomic.AtomicLong;
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
  private final EventSink events;
  private final Clock clock;
  private final Settings.Storage settings;
  private final VolumeUsage usage;
  private final ExecutorService walker;
  private final AtomicBoolean walking = new AtomicBoolean();
  /** Pods found over a limit by the last walks and not yet evicted: uid → the eviction message. */
  private final Map<String, String> found = new ConcurrentHashMap<>();
  private final AtomicLong evicted = new AtomicLong();
  private final AtomicLong unmeasurable = new AtomicLong();
  private volatile Instant lastWalk;

  Evictions(Volumes volumes, EventSink events, Clock clock, Settings.Storage settings) {
    this.volumes = volumes;
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
    return "Usage of EmptyDir volume \"" + volume + "\" exceeds the limit \"" + Quantities.format(limitBytes)
        + "\". ";
  }

  /** Pods evicted by this node since it started, and emptyDir walks cut short by a bound. */
  long evictions() {
    return evicted.get();
  }

  long unmeasurable() {
    return unmeasurable.get();
  }

  /**
   * Starts measuring the pods' sized emptyDirs on the storage thread, unless a walk runs or the last one began less
   * than the check interval ago. Reconciler thread, once per full pass.
   */
  void measureIfDue(List<StoredPod> pods, Instant now) {
    Instant last = lastWalk;
    if (last != null && now.isBefore(last.plus(settings.checkInterval())) || !walking.compareAndSet(false, true)) {
      return;
    }
    lastWalk = now;
    List<StoredPod> candidates = pods.stream().filter(p -> !p.pod().deleting() && !sized(p).isEmpty()).toList();
    try {
      walker.execute(() -> {
        try {
          candidates.forEach(this::measure);
        } finally {
          walking.set(false);
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
    evicted.incrementAndGet();
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
          unmeasurable.incrementAndGet();
          message = "Usage of EmptyDir volume \"" + volume.name() + "\" cannot be measured within the node's "
              + "bounds (" + used.incomplete() + "); its limit is \"" + Quantities.format(limit) + "\". ";
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

  @Override
  public void close() {
    walker.shutdownNow();
  }

  /** Kubernetes quantities as {@code Quantity.String()} writes byte counts. */
  static final class Quantities {
    private static final String[] BINARY = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final String[] DECIMAL = {"k", "M", "G", "T", "P", "E"};

    private Quantities() {}

    /**
     * {@code bytes} in the largest binary suffix that divides it, else the largest decimal one, else plain: the
     * canonical form of what the pod wrote for {@code 64Mi}, {@code 1G} or {@code 1500}.
     */
    static String format(long bytes) {
      if (bytes <= 0) {
        return Long.toString(bytes);
      }
      String binary = suffixed(bytes, 1024, BINARY);
      return binary != null ? binary : java.util.Objects.requireNonNullElse(suffixed(bytes, 1000, DECIMAL),
          Long.toString(bytes));
    }

    private static String suffixed(long bytes, long base, String[] suffixes) {
      long value = bytes;
      int exponent = -1;
      while (value % base == 0 && exponent + 1 < suffixes.length) {
        value /= base;
        exponent++;
      }
      return exponent < 0 ? null : value + suffixes[exponent];
    }
  }
}
