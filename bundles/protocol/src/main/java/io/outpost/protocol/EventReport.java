package io.outpost.protocol;

import java.util.Set;

/**
 * Something that happened to an object on the node (an image pulled, a container started, restarted or failed), on
 * {@code up/event}. The bridge writes it as a Kubernetes Event on {@code ref}. {@code id} (16 lower-case hex digits)
 * is unique per event of a node and makes redelivery idempotent: the bridge names the Event {@code <name>.<id>}.
 * {@code count} &gt; 1 says the same reason and message repeated between {@code firstTimestamp} and
 * {@code lastTimestamp}.
 */
public record EventReport(
    int v,
    String node,
    String id,
    ObjectRef ref,
    String type,
    String reason,
    String message,
    int count,
    String firstTimestamp,
    String lastTimestamp) implements Message {

  public static final String NORMAL = "Normal";
  public static final String WARNING = "Warning";
  /** Kubernetes' limit for Event.message. */
  public static final int MAX_MESSAGE = 1024;

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(id, "id");
    if (!id.matches("[0-9a-f]{16}")) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "id must be 16 lower-case hex digits");
    }
    Validation.require(ref, "ref");
    ref.validate();
    Validation.require(type, "type"); // before contains(): Set.of rejects null with an exception
    if (!Set.of(NORMAL, WARNING).contains(type)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "type must be Normal or Warning, was " + type);
    }
    Validation.require(reason, "reason");
    if (reason.length() > 128 || (message != null && message.length() > MAX_MESSAGE)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "reason or message too long");
    }
    if (count < 1) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "count must be positive");
    }
    Validation.require(firstTimestamp, "firstTimestamp");
    Validation.require(lastTimestamp, "lastTimestamp");
  }
}
