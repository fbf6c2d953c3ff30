package io.outpost.sync.impl;

import io.outpost.protocol.NodeReport;
import io.outpost.sync.impl.NodeStatusSettings.Signal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's allocatable resources and pressure conditions from one {@link HostMeasurements}, computed as the
 * kubelet computes them: allocatable = capacity − system reserved − kube reserved − the hard eviction threshold
 * ({@code memory.available} for memory, {@code nodefs.available} for ephemeral-storage), never below zero; a
 * condition is True while one of its signals is below its threshold, and stays True until the signal has been
 * fine for the pressure transition period (the kubelet's {@code --eviction-pressure-transition-period}), so that
 * a signal hovering at its threshold does not flap the condition. Reasons and messages are the kubelet's
 * ({@code pkg/kubelet/nodestatus/setters.go}). Not thread-safe: used on the sync thread only.
 */
final class NodePressure {
  private static final Logger LOG = LoggerFactory.getLogger(NodePressure.class);

  /** The three pressure conditions of a kubelet, in the kubelet's order, and the signals behind each. */
  enum Kind {
    MEMORY("MemoryPressure", List.of(Signal.MEMORY_AVAILABLE),
        "KubeletHasInsufficientMemory", "kubelet has insufficient memory available",
        "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    DISK("DiskPressure", List.of(Signal.NODEFS_AVAILABLE, Signal.IMAGEFS_AVAILABLE),
        "KubeletHasDiskPressure", "kubelet has disk pressure",
        "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    PID("PIDPressure", List.of(Signal.PID_AVAILABLE),
        "KubeletHasInsufficientPID", "kubelet has insufficient PID available",
        "KubeletHasSufficientPID", "kubelet has sufficient PID available");

    final String type;
    final List<Signal> signals;
    final String pressureReason;
    final String pressureMessage;
    final String fineReason;
    final String fineMessage;

    Kind(String type, List<Signal> signals, String pressureReason, String pressureMessage, String fineReason,
        String fineMessage) {
      this.type = type;
      this.signals = signals;
      this.pressureReason = pressureReason;
      this.pressureMessage = pressureMessage;
      this.fineReason = fineReason;
      this.fineMessage = fineMessage;
    }
  }

  /** What the heartbeat carries besides the static facts. */
  record Evaluation(Map<String, String> capacity, Map<String, String> allocatable,
      List<NodeReport.Condition> conditions) {}

  private final NodeStatusSettings settings;
  private final Clock clock;
  /** When each condition's signal was last seen over its threshold (the kubelet's nodeConditionsLastObservedAt). */
  private final Map<Kind, Instant> lastObserved = new EnumMap<>(Kind.class);
  private final Map<Kind, String> lastStatus = new EnumMap<>(Kind.class);

  NodePressure(NodeStatusSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
  }

  Evaluation evaluate(HostMeasurements m, int maxPods) {
    Map<String, String> capacity = new LinkedHashMap<>();
    Map<String, String> allocatable = new LinkedHashMap<>();
    resources(m, maxPods, capacity, allocatable);
    Instant now = clock.instant();
    List<NodeReport.Condition> conditions = new ArrayList<>();
    for (Kind kind : Kind.values()) {
      conditions.add(condition(kind, m, now));
    }
    return new Evaluation(Map.copyOf(capacity), Map.copyOf(allocatable), List.copyOf(conditions));
  }

  /** Allocatable alone, without touching the conditions' state: safe from any thread. */
  Map<String, String> allocatable(HostMeasurements m, int maxPods) {
    Map<String, String> allocatable = new LinkedHashMap<>();
    resources(m, maxPods, new LinkedHashMap<>(), allocatable);
    return Map.copyOf(allocatable);
  }

  private void resources(HostMeasurements m, int maxPods, Map<String, String> capacity,
      Map<String, String> allocatable) {
    capacity.put("cpu", Quantities.formatMilliCpu(m.cpus() * 1000L));
    allocatable.put("cpu", Quantities.formatMilliCpu(Math.max(0, m.cpus() * 1000L - settings.reservedMilliCpu())));
    if (m.memoryTotal() >= 0) {
      capacity.put("memory", Quantities.formatBytes(m.memoryTotal()));
      allocatable.put("memory", Quantities.formatBytes(allocatable(m.memoryTotal(), settings.reservedMemory(),
          Signal.MEMORY_AVAILABLE)));
    } else {
      capacity.put("memory", "0"); // as before: a node that cannot read /proc/meminfo offers none
      allocatable.put("memory", "0");
    }
    capacity.put("pods", Integer.toString(maxPods));
    allocatable.put("pods", Integer.toString(maxPods));
    if (m.nodefsCapacity() >= 0) {
      capacity.put("ephemeral-storage", Quantities.formatBytes(m.nodefsCapacity()));
      allocatable.put("ephemeral-storage", Quantities.formatBytes(allocatable(m.nodefsCapacity(),
          settings.reservedStorage(), Signal.NODEFS_AVAILABLE)));
    }
  }

  private long allocatable(long capacity, long reserved, Signal signal) {
    Threshold threshold = settings.thresholds().get(signal);
    long eviction = threshold == null ? 0 : threshold.amount(capacity);
    return Math.max(0, capacity - reserved - eviction);
  }

  private NodeReport.Condition condition(Kind kind, HostMeasurements m, Instant now) {
    boolean measured = false;
    List<String> over = new ArrayList<>();
    boolean anyThreshold = false;
    for (Signal signal : kind.signals) {
      Threshold threshold = settings.thresholds().get(signal);
      long[] reading = reading(signal, m);
      anyThreshold |= threshold != null;
      if (threshold == null || reading[0] < 0 || reading[1] < 0) {
        continue;
      }
      measured = true;
      if (threshold.met(reading[0], reading[1])) {
        over.add(signal.key + " " + reading[0] + " < " + threshold.amount(reading[1]));
      }
    }
    if (!over.isEmpty()) {
      lastObserved.put(kind, now);
    }
    Instant seen = lastObserved.get(kind);
    boolean pressure = seen != null && !now.isAfter(seen.plus(settings.transitionPeriod()));
    NodeReport.Condition condition;
    if (pressure) {
      condition = new NodeReport.Condition(kind.type, "True", kind.pressureReason, kind.pressureMessage);
    } else if (measured || !anyThreshold) {
      // No threshold for the signal (pid.available by default): never under pressure, as on a kubelet.
      condition = new NodeReport.Condition(kind.type, "False", kind.fineReason, kind.fineMessage);
    } else {
      condition = new NodeReport.Condition(kind.type, "Unknown", "OutpostEdgeCannotMeasure",
          "the node cannot read " + kind.signals.stream().map(s -> s.key).toList());
    }
    String previous = lastStatus.put(kind, condition.status());
    if (!condition.status().equals(previous)) {
      if (pressure) {
        LOG.warn("{} True: {}", kind.type, over.isEmpty() ? "recovered less than the transition period ago"
            : String.join(", ", over));
      } else if ("Unknown".equals(condition.status())) {
        LOG.warn("{} Unknown: {}", kind.type, condition.message());
      } else if (previous != null) {
        LOG.info("{} {}: {}", kind.type, condition.status(), condition.message());
      }
    }
    return condition;
  }

  /** {available, capacity} of a signal, negative where unknown. */
  private static long[] reading(Signal signal, HostMeasurements m) {
    return switch (signal) {
      case MEMORY_AVAILABLE -> new long[] {m.memoryAvailable(), m.memoryTotal()};
      case NODEFS_AVAILABLE -> new long[] {m.nodefsAvailable(), m.nodefsCapacity()};
      case IMAGEFS_AVAILABLE -> new long[] {m.imagefsAvailable(), m.imagefsCapacity()};
      case PID_AVAILABLE -> m.pidMax() < 0 || m.pidsInUse() < 0 ? new long[] {-1, -1}
          : new long[] {m.pidMax() - m.pidsInUse(), m.pidMax()};
    };
  }
}
