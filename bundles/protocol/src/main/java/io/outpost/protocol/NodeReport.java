package io.outpost.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The edge node's heartbeat on {@code up/node}: what the bridge needs to keep the Node object and Lease current,
 * and (optional) a summary of the node's health as metric series ({@link MetricSeries}), which the bridge shows on
 * its {@code /metrics} with a {@code node} label.
 *
 * <p>{@code capacity}, {@code addresses}, {@code info}, {@code metrics}, {@code allocatable} and
 * {@code conditions} are optional, and an absent one means <em>unchanged since the last report that carried it</em>
 * (protocol §5.5), never "gone": a node sends its facts on every connect, when they change and as a periodic
 * refresh, and its metrics on their own slower cadence, so an idle node's heartbeat is a few dozen bytes.
 * {@link #over(NodeReport)} fills a delta from an earlier report.
 */
public record NodeReport(
    int v,
    String node,
    String sentAt,
    boolean ready,
    String message,
    Map<String, String> capacity,
    List<Address> addresses,
    NodeInfo info,
    Map<String, Double> metrics,
    Map<String, String> allocatable,
    List<Condition> conditions) implements Message {

  /** At most this many conditions per report. */
  public static final int MAX_CONDITIONS = 16;
  /** At most this many entries in {@code capacity} and in {@code allocatable}. */
  public static final int MAX_RESOURCES = 64;
  /** The longest condition reason or message accepted. */
  public static final int MAX_CONDITION_TEXT = 1024;

  /** A heartbeat without a health summary. */
  public NodeReport(int v, String node, String sentAt, boolean ready, String message, Map<String, String> capacity,
      List<Address> addresses, NodeInfo info) {
    this(v, node, sentAt, ready, message, capacity, addresses, info, null);
  }

  /** A heartbeat as nodes before allocatable and pressure conditions sent it. */
  public NodeReport(int v, String node, String sentAt, boolean ready, String message, Map<String, String> capacity,
      List<Address> addresses, NodeInfo info, Map<String, Double> metrics) {
    this(v, node, sentAt, ready, message, capacity, addresses, info, metrics, null, null);
  }

  /** True if this report carries none of the node's facts (a delta heartbeat: node, time and readiness). */
  public boolean omitsFacts() {
    return capacity == null && addresses == null && info == null && allocatable == null && conditions == null;
  }

  /**
   * This report with every field it leaves out (meaning "unchanged") taken from {@code earlier}, an older report of
   * the same node; this report itself if {@code earlier} is null or of another node. A full report followed by a
   * delta thus keeps the full one's facts when the two are coalesced, or applied in turn.
   */
  public NodeReport over(NodeReport earlier) {
    if (earlier == null || !node.equals(earlier.node())) {
      return this;
    }
    return new NodeReport(v, node, sentAt, ready, message,
        capacity != null ? capacity : earlier.capacity(),
        addresses != null ? addresses : earlier.addresses(),
        info != null ? info : earlier.info(),
        metrics != null ? metrics : earlier.metrics(),
        allocatable != null ? allocatable : earlier.allocatable(),
        conditions != null ? conditions : earlier.conditions());
  }

  public record Address(String type, String address) {}

  /**
   * What the node is. {@code site} and {@code region} (optional, null when not configured, and absent from the
   * JSON then) are the site and region the node's configuration names ({@code site}, {@code region} in
   * {@code io.outpost.node.cfg}): a claim the bridge weighs against what the operator decided (the Node's labels,
   * the site its join token named) before it labels the Node; a bridge of an older release ignores them.
   */
  public record NodeInfo(
      String machineId,
      String bootId,
      String kernelVersion,
      String osImage,
      String operatingSystem,
      String architecture,
      String containerRuntimeVersion,
      String agentVersion,
      String site,
      String region) {

    /** A node's facts without a site or region, as nodes before sites sent them. */
    public NodeInfo(String machineId, String bootId, String kernelVersion, String osImage, String operatingSystem,
        String architecture, String containerRuntimeVersion, String agentVersion) {
      this(machineId, bootId, kernelVersion, osImage, operatingSystem, architecture, containerRuntimeVersion,
          agentVersion, null, null);
    }
  }

  /**
   * A node condition as the kubelet sets it ({@code MemoryPressure}, {@code DiskPressure}, {@code PIDPressure}):
   * {@code status} is {@code True}, {@code False} or {@code Unknown}. Transition and heartbeat times are the
   * bridge's to set.
   */
  public record Condition(String type, String status, String reason, String message) {}

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(sentAt, "sentAt");
    requireResources(capacity, "capacity");
    requireResources(allocatable, "allocatable");
    if (conditions != null) {
      requireConditions();
    }
    if (metrics != null) {
      if (metrics.size() > MetricSeries.MAX) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "at most " + MetricSeries.MAX
            + " metric series, found " + metrics.size());
      }
      for (Map.Entry<String, Double> entry : metrics.entrySet()) {
        if (!MetricSeries.valid(entry.getKey()) || entry.getValue() == null || entry.getValue().isNaN()
            || entry.getValue().isInfinite()) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "invalid metric series '"
              + entry.getKey() + "'");
        }
      }
    }
  }

  private static void requireResources(Map<String, String> resources, String field) throws ProtocolException {
    if (resources != null && resources.size() > MAX_RESOURCES) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "at most " + MAX_RESOURCES + " entries in '"
          + field + "', found " + resources.size());
    }
  }

  /** The shape only; which condition types the bridge writes, and whether figures are plausible, is its call. */
  private void requireConditions() throws ProtocolException {
    if (conditions.size() > MAX_CONDITIONS) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "at most " + MAX_CONDITIONS
          + " conditions, found " + conditions.size());
    }
    Set<String> types = new HashSet<>();
    for (Condition condition : conditions) {
      if (condition == null) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "null condition");
      }
      Validation.require(condition.type(), "conditions[].type");
      if (!condition.type().matches("[A-Z][A-Za-z0-9]{0,62}")) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "invalid condition type '"
            + condition.type() + "'");
      }
      if (!types.add(condition.type())) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "condition " + condition.type()
            + " appears twice");
      }
      if (!"True".equals(condition.status()) && !"False".equals(condition.status())
          && !"Unknown".equals(condition.status())) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "condition " + condition.type()
            + " has status '" + condition.status() + "' (True, False or Unknown)");
      }
      if (length(condition.reason()) > MAX_CONDITION_TEXT || length(condition.message()) > MAX_CONDITION_TEXT) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "condition " + condition.type()
            + ": reason or message longer than " + MAX_CONDITION_TEXT + " characters");
      }
    }
  }

  private static int length(String text) {
    return text == null ? 0 : text.length();
  }
}
