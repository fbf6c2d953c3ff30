package io.outpost.protocol;

import java.util.List;
import java.util.Map;

/** The edge node's heartbeat on {@code up/node}: what the bridge needs to keep the Node object and Lease current. */
public record NodeReport(
    int v,
    String node,
    String sentAt,
    boolean ready,
    String message,
    Map<String, String> capacity,
    List<Address> addresses,
    NodeInfo info) implements Message {

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
  }
}
