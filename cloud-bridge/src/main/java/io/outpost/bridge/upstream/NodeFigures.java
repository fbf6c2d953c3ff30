package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.NodeReport;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A heartbeat's capacity, allocatable and pressure conditions as the Node's status shows them, after a plausibility
 * check: only the resources a node really has are accepted ({@code cpu}, {@code memory}, {@code pods},
 * {@code ephemeral-storage}, {@code hugepages-<size>}: a node claiming {@code nvidia.com/gpu} or any other name would
 * attract pods it cannot run), each within a plausible bound ({@link #BOUNDS}; hugepages at most the memory
 * capacity) — a compromised node advertising huge capacity to attract pods and their Secrets is refused; every
 * quantity must parse as a Kubernetes quantity and be non-negative, every allocatable figure must be
 * at most the capacity of the same resource, and only the kubelet's pressure conditions ({@code MemoryPressure},
 * {@code DiskPressure}, {@code PIDPressure}) are written. An implausible figure is not written (the Node keeps the
 * value it has, if any), is counted in {@code outpost_bridge_rejected_total{reason="implausible_node_status"}} and
 * logged when a node's problems change; the rest of the heartbeat is applied. A report that leaves capacity,
 * allocatable or conditions out (protocol §5.5: unchanged) keeps the Node's: capacity and allocatable as they are,
 * the pressure conditions with their transition times (a report with capacity but no allocatable, from a node built
 * before allocatable, gets its capacity as allocatable).
 */
final class NodeFigures {
  private static final Logger LOG = LoggerFactory.getLogger(NodeFigures.class);
  static final String REJECTED = "implausible_node_status";
  static final List<String> PRESSURE_TYPES = List.of("MemoryPressure", "DiskPressure", "PIDPressure");
  /** A Kubernetes quantity without a sign ({@code k8s.io/apimachinery/pkg/api/resource}). */
  private static final Pattern QUANTITY = Pattern.compile(
      "\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]{1,3}|[numkMGTPE]|[KMGTPE]i)?");
  /** A resource name: a qualified name, optionally prefixed with a DNS subdomain. */
  private static final Pattern RESOURCE = Pattern.compile(
      "([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  /**
   * The largest figure a node may report per resource: beyond the largest servers sold (768 logical CPUs, 32 TiB in
   * two sockets today) with room to grow, and far beyond what a site's server has; {@code pods} as the kubelet's
   * {@code --max-pods} is sensibly set (the default is 110).
   */
  static final Map<String, BigDecimal> BOUNDS = Map.of(
      "cpu", new BigDecimal(4096),
      "memory", new BigDecimal(64).multiply(BigDecimal.valueOf(2).pow(40)),
      "pods", new BigDecimal(2048),
      "ephemeral-storage", BigDecimal.valueOf(2).pow(50));
  private static final Pattern HUGEPAGES = Pattern.compile("hugepages-[0-9]+(Ki|Mi|Gi)");

  /** What goes into the Node's status. */
  record Figures(Map<String, Quantity> capacity, Map<String, Quantity> allocatable, List<NodeCondition> pressure) {}

  private final Metrics metrics;
  /** Per node, the problems last logged: a heartbeat with the same ones is counted but not logged again. */
  private final Map<String, String> lastProblems = new ConcurrentHashMap<>();

  NodeFigures(Metrics metrics) {
    this.metrics = metrics;
  }

  Figures check(NodeReport report, NodeStatus previous, String now) {
    List<String> problems = new ArrayList<>();
    Map<String, Quantity> capacity = capacity(report.capacity(), previous, problems);
    Map<String, Quantity> allocatable = report.capacity() == null && report.allocatable() == null
        && previous != null && previous.getAllocatable() != null
        ? new LinkedHashMap<>(previous.getAllocatable()) // unchanged: as the Node has it
        : allocatable(report.allocatable(), capacity, previous, problems);
    List<NodeCondition> pressure = pressure(report.conditions(), previous, now, problems);
    problems.forEach(p -> metrics.increment("outpost_bridge_rejected_total", "reason", REJECTED));
    String summary = String.join("; ", problems);
    String before = summary.isEmpty() ? lastProblems.remove(report.node()) : lastProblems.put(report.node(), summary);
    if (!summary.isEmpty() && !summary.equals(before)) {
      LOG.warn("Node {} reported implausible status figures, not written: {}", report.node(), summary);
    } else if (summary.isEmpty() && before != null) {
      LOG.info("Node {} reports plausible status figures again", report.node());
    }
    return new Figures(capacity, allocatable, pressure);
  }

  private static Map<String, Quantity> capacity(Map<String, String> reported, NodeStatus previous,
      List<String> problems) {
    Map<String, Quantity> capacity = new LinkedHashMap<>();
    if (reported == null) {
      if (previous != null && previous.getCapacity() != null) {
        capacity.putAll(previous.getCapacity()); // unchanged: as the Node has it
      }
      return capacity;
    }
    reported.forEach((name, value) -> {
      String problem = problem(name, value);
      if (problem == null) {
        problem = implausible(name, value, reported.get("memory"));
      }
      if (problem == null) {
        capacity.put(name, new Quantity(value));
      } else {
        problems.add("capacity " + problem);
        Quantity kept = resource(previous == null ? null : previous.getCapacity(), name);
        // The value the Node has stays, unless it is not plausible either (written before these checks existed).
        if (kept != null && problem(name, kept.toString()) == null
            && implausible(name, kept.toString(), reported.get("memory")) == null) {
          capacity.put(name, kept);
        }
      }
    });
    return capacity;
  }

  private static Map<String, Quantity> allocatable(Map<String, String> reported, Map<String, Quantity> capacity,
      NodeStatus previous, List<String> problems) {
    Map<String, Quantity> allocatable = new LinkedHashMap<>(capacity);
    if (reported == null) {
      return allocatable; // a node from before allocatable: its capacity, as always
    }
    reported.forEach((name, value) -> {
      String problem = problem(name, value);
      if (problem == null && !capacity.containsKey(name)) {
        problem = name + " has no capacity";
      } else if (problem == null && amount(value).compareTo(amount(capacity.get(name))) > 0) {
        problem = name + " allocatable " + value + " exceeds its capacity " + capacity.get(name);
      }
      if (problem == null) {
        allocatable.put(name, new Quantity(value));
        return;
      }
      problems.add("allocatable " + problem);
      Quantity kept = resource(previous == null ? null : previous.getAllocatable(), name);
      if (kept != null && capacity.containsKey(name) && amount(kept).compareTo(amount(capacity.get(name))) <= 0) {
        allocatable.put(name, kept);
      }
    });
    return allocatable;
  }

  private static List<NodeCondition> pressure(List<NodeReport.Condition> reported, NodeStatus previous, String now,
      List<String> problems) {
    List<NodeCondition> conditions = new ArrayList<>();
    if (reported == null) {
      // Unchanged: the Node's pressure conditions, as fresh as this heartbeat.
      if (previous != null && previous.getConditions() != null) {
        previous.getConditions().stream().filter(c -> PRESSURE_TYPES.contains(c.getType()))
            .map(c -> new NodeConditionBuilder(c).withLastHeartbeatTime(now).build()).forEach(conditions::add);
      }
      return conditions;
    }
    for (String type : PRESSURE_TYPES) {
      reported.stream().filter(c -> type.equals(c.type())).findFirst().ifPresent(c -> conditions.add(
          new NodeConditionBuilder().withType(type).withStatus(c.status()).withReason(c.reason())
              .withMessage(c.message()).withLastHeartbeatTime(now)
              .withLastTransitionTime(since(previous, type, c.status(), now)).build()));
    }
    reported.stream().filter(c -> !PRESSURE_TYPES.contains(c.type()))
        .forEach(c -> problems.add("condition " + c.type() + " is not one a kubelet reports"));
    return conditions;
  }

  /** The condition's transition time moves only when its status changes, as the kubelet's setters do. */
  static String since(NodeStatus previous, String type, String status, String now) {
    if (previous == null || previous.getConditions() == null) {
      return now;
    }
    return previous.getConditions().stream()
        .filter(c -> type.equals(c.getType()) && status.equals(c.getStatus()))
        .map(NodeCondition::getLastTransitionTime).filter(Objects::nonNull).findFirst().orElse(now);
  }

  /** Why a well-formed capacity figure is not one a real node has, or null. */
  private static String implausible(String name, String value, String memory) {
    BigDecimal bound = BOUNDS.get(name);
    if (bound == null && !HUGEPAGES.matcher(name).matches()) {
      return "resource " + name + " is not one an edge node has (cpu, memory, pods, ephemeral-storage, "
          + "hugepages-<size>)";
    }
    if (bound != null && amount(value).compareTo(bound) > 0) {
      return name + " " + value + " exceeds the plausible bound " + bound.toPlainString();
    }
    if (bound == null) {
      boolean memoryPlausible = memory != null && problem("memory", memory) == null
          && amount(memory).compareTo(BOUNDS.get("memory")) <= 0;
      if (!memoryPlausible || amount(value).compareTo(amount(memory)) > 0) {
        return name + " " + value + " exceeds the memory capacity " + memory;
      }
    }
    return null;
  }

  /** Why a resource figure is implausible, or null. */
  private static String problem(String name, String value) {
    if (name == null || !RESOURCE.matcher(name).matches()) {
      return "resource name '" + name + "' is not valid";
    }
    if (value == null || !QUANTITY.matcher(value).matches()) {
      return name + " '" + value + "' is not a non-negative quantity";
    }
    try {
      amount(value);
      return null;
    } catch (IllegalArgumentException | ArithmeticException e) {
      return name + " '" + value + "' is not a quantity: " + e.getMessage();
    }
  }

  private static BigDecimal amount(String value) {
    return new Quantity(value).getNumericalAmount();
  }

  private static BigDecimal amount(Quantity quantity) {
    return quantity.getNumericalAmount();
  }

  private static Quantity resource(Map<String, Quantity> resources, String name) {
    return resources == null || name == null ? null : resources.get(name);
  }
}
