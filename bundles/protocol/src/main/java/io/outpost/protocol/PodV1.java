package io.outpost.protocol;

import java.util.List;

/**
 * The part of a Kubernetes Pod an edge node needs to run it. {@code deletionTimestamp} is set once Kubernetes has
 * started a graceful deletion: the edge stops the containers within the grace period and reports them stopped.
 */
public record PodV1(
    String nodeName,
    String restartPolicy,
    Long terminationGracePeriodSeconds,
    String deletionTimestamp,
    Long deletionGracePeriodSeconds,
    List<ContainerV1> containers) {

  public boolean deleting() {
    return deletionTimestamp != null;
  }

  /** Seconds the edge waits for containers to stop before killing them. */
  public long gracePeriodSeconds() {
    if (deletionGracePeriodSeconds != null) {
      return deletionGracePeriodSeconds;
    }
    return terminationGracePeriodSeconds == null ? 30 : terminationGracePeriodSeconds;
  }

  void validate() throws ProtocolException {
    Validation.require(nodeName, "pod.nodeName");
    if (containers == null || containers.isEmpty()) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "pod has no containers");
    }
    for (ContainerV1 container : containers) {
      Validation.require(container, "pod.containers[]");
      container.validate();
    }
  }

  /** One container of a pod. */
  public record ContainerV1(
      String name,
      String image,
      String imagePullPolicy,
      List<String> command,
      List<String> args,
      String workingDir,
      List<EnvVarV1> env) {

    void validate() throws ProtocolException {
      Validation.require(name, "container.name");
      Validation.require(image, "container.image");
      if (env != null) {
        for (EnvVarV1 var : env) {
          Validation.require(var, "container.env[]");
          Validation.require(var.name(), "container.env[].name");
        }
      }
    }
  }

  /** An environment variable with a literal value. */
  public record EnvVarV1(String name, String value) {}
}
