package io.outpost.protocol;

import java.util.Set;

/**
 * Something that happened to an object on the node (an image pulled, a container started, restarted or failed), on
 * {@code up/event}. The bridge writes it as a Kubernetes Event on {@code ref}. {@code id} (16 lower-case hex digits)
 * is unique per event of a node and makes redelivery idempotent: the bridge names the Event {@code <name>.<id>}.
 * {@code count} &gt; 1 says the same reason and message repeated between {@code firstTimestamp} and
 * {@code lastTimestamp}: like the kubelet's event correlator (client-go {@code tools/record/events_cache.go}), the
 * edge reuses the id of an earlier identical event, so the bridge updates one Event whose count grows.
 * {@code fieldPath} (optional, added compatibly) names the container an event is about, as the kubelet's
 * {@code involvedObject.fieldPath}: {@code spec.containers{web}}, {@code spec.initContainers{init}}; null for events
 * about the whole pod.
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
    String lastTimestamp,
    String fieldPath) implements Message {

  public static final String NORMAL = "Normal";
  public static final String WARNING = "Warning";
  /** Kubernetes' limit for Event.message. */
  public static final int MAX_MESSAGE = 1024;
  /** What {@code fieldPath} may be: a container of the pod, as {@code kubecontainer.GenerateContainerRef} names it. */
  private static final java.util.regex.Pattern FIELD_PATH = java.util.regex.Pattern.compile(
      "spec\\.(containers|initContainers|ephemeralContainers)\\{[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\}");

  /** An event about the whole pod (no {@code fieldPath}), as senders built before the field existed send it. */
  public EventReport(int v, String node, String id, ObjectRef ref, String type, String reason, String message,
      int count, String firstTimestamp, String lastTimestamp) {
    this(v, node, id, ref, type, reason, message, count, firstTimestamp, lastTimestamp, null);
  }

  /** The field path of container {@code name}: {@code spec.containers{name}}, or {@code spec.initContainers{name}}. */
  public static String containerPath(String name, boolean init) {
    return (init ? "spec.initContainers{" : "spec.containers{") + name + "}";
  }

  /** This event with another count and last timestamp (a repeat), same id. */
  public EventReport repeated(int newCount, String newLastTimestamp) {
    return new EventReport(v, node, id, ref, type, reason, message, newCount, firstTimestamp, newLastTimestamp,
        fieldPath);
  }

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
    if (fieldPath != null && !FIELD_PATH.matcher(fieldPath).matches()) {
      throw new ProtocolException(ProtocolException.Reason.INVALID,
          "fieldPath must name a container as spec.containers{name}, was " + fieldPath);
    }
  }
}
