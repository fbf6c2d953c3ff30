package io.outpost.protocol;

import java.util.List;
import java.util.Map;

/**
 * The edge node's heartbeat on {@code up/node}: what the bridge needs to keep the Node object and Lease current,
 * and (optional) a summary of the node's health as metric series ({@link MetricSeries}), which the bridge shows on
 * its {@code /metrics} with a {@code node} label.
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
    Map<String, Double> metrics) implements Message {

  /** A heartbeat without a health summary. */
  public NodeReport(int v, String node, String sentAt, boolean ready, String message, Map<String, String> capacity,
      List<Address> addresses, NodeInfo info) {
    this(v, node, sentAt, ready, message, capacity, addresses, info, null);
  }

  public record Address(String type, String address) {}

  public record NodeInfo(
      String machineId,
      String bootId,
      String kernelVersion,
      String osImage,
      String operatingSystem,
      String architecture,
      String containerRuntimeVersion,
      String agentVersion) {}

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(sentAt, "sentAt");
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
}
