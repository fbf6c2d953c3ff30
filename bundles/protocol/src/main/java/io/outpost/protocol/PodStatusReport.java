package io.outpost.protocol;

import java.util.List;

/**
 * The newest status of one pod, on {@code up/status}. Status is coalesced: only the newest report of a pod has to
 * arrive. {@code stopped} is true once every container of a pod being deleted has stopped.
 *
 * <p>Added compatibly (optional, null from older edges): {@code sandboxReady}, whether the pod's sandbox (infra
 * container, holding its network) is up — the kubelet's {@code PodReadyToStartContainers} condition; and
 * {@code hostIP} is now set by the reference edge: the node's own primary address (the kubelet's {@code hostIP}).
 */
public record PodStatusReport(
    int v,
    String node,
    ObjectRef ref,
    String phase,
    String reason,
    String message,
    String podIP,
    String hostIP,
    String startTime,
    List<ContainerStatusV1> containers,
    boolean stopped,
    List<ContainerStatusV1> initContainers,
    Boolean sandboxReady,
    List<ContainerStatusV1> ephemeralContainers) implements Message {

  /** A report without {@code ephemeralContainers}, as edges built before them send it. */
  public PodStatusReport(int v, String node, ObjectRef ref, String phase, String reason, String message,
      String podIP, String hostIP, String startTime, List<ContainerStatusV1> containers, boolean stopped,
      List<ContainerStatusV1> initContainers, Boolean sandboxReady) {
    this(v, node, ref, phase, reason, message, podIP, hostIP, startTime, containers, stopped, initContainers,
        sandboxReady, null);
  }

  /** A report for a pod without init containers. */
  public PodStatusReport(int v, String node, ObjectRef ref, String phase, String reason, String message,
      String podIP, String hostIP, String startTime, List<ContainerStatusV1> containers, boolean stopped) {
    this(v, node, ref, phase, reason, message, podIP, hostIP, startTime, containers, stopped, null, null);
  }

  /** A report without {@code sandboxReady}, as edges built before it existed send it. */
  public PodStatusReport(int v, String node, ObjectRef ref, String phase, String reason, String message,
      String podIP, String hostIP, String startTime, List<ContainerStatusV1> containers, boolean stopped,
      List<ContainerStatusV1> initContainers) {
    this(v, node, ref, phase, reason, message, podIP, hostIP, startTime, containers, stopped, initContainers, null);
  }

  public record ContainerStatusV1(
      String name,
      String image,
      String imageID,
      String containerID,
      boolean ready,
      int restartCount,
      ContainerStateV1 state,
      ContainerStateV1 lastState,
      Boolean started) {
    /** A status without {@code started} (the kubelet's startup-probe verdict), as edges built before it send it. */
    public ContainerStatusV1(String name, String image, String imageID, String containerID, boolean ready,
        int restartCount, ContainerStateV1 state, ContainerStateV1 lastState) {
      this(name, image, imageID, containerID, ready, restartCount, state, lastState, null);
    }
  }

  /** {@code kind} is one of running, waiting, terminated, as in Kubernetes' ContainerState. */
  public record ContainerStateV1(
      String kind, String reason, String message, Integer exitCode, String startedAt, String finishedAt) {

    public static ContainerStateV1 running(String startedAt) {
      return new ContainerStateV1("running", null, null, null, startedAt, null);
    }

    public static ContainerStateV1 waiting(String reason, String message) {
      return new ContainerStateV1("waiting", reason, message, null, null, null);
    }

    public static ContainerStateV1 terminated(
        String reason, String message, int exitCode, String startedAt, String finishedAt) {
      return new ContainerStateV1("terminated", reason, message, exitCode, startedAt, finishedAt);
    }
  }

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(ref, "ref");
    ref.validate();
    Validation.require(phase, "phase");
    if (!List.of("Pending", "Running", "Succeeded", "Failed", "Unknown").contains(phase)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "unknown phase '" + phase + "'");
    }
  }
}
