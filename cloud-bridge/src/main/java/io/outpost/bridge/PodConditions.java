package io.outpost.bridge;

import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.ArrayList;
import java.util.List;

/**
 * The kubelet's Initialized and ContainersReady/Ready conditions (1.32, pkg/kubelet/status/generate.go), from a
 * node's report: status, reason and message as the kubelet writes them.
 */
final class PodConditions {
  private PodConditions() {}

  /** A condition's status, reason and message (both null when True). */
  record Outcome(boolean status, String reason, String message) {
    static final Outcome TRUE = new Outcome(true, null, null);
  }

  /**
   * {@code GenerateContainersReadyCondition} (and {@code GeneratePodReadyCondition}, which copies it when not
   * ready): PodCompleted once the pod succeeded, else ContainersNotReady naming the containers not ready.
   */
  static Outcome containersReady(PodStatusReport report) {
    List<ContainerStatusV1> containers = report.containers();
    if (containers == null || containers.isEmpty()) {
      return new Outcome(false, "UnknownContainerStatuses", null);
    }
    List<String> unready = new ArrayList<>();
    for (ContainerStatusV1 container : containers) {
      if (!container.ready()) {
        unready.add(container.name());
      }
    }
    if ("Succeeded".equals(report.phase())) {
      return new Outcome(false, "PodCompleted", null);
    }
    if (!unready.isEmpty()) {
      return new Outcome(false, "ContainersNotReady", "containers with unready status: " + goList(unready));
    }
    return Outcome.TRUE;
  }

  /**
   * {@code GeneratePodInitializedCondition}: True (reason PodCompleted) once the pod succeeded; True if an app
   * container has started ({@code HasAnyRegularContainerStarted}), without init containers, or once each terminated
   * with exit code 0; else ContainersNotInitialized naming those not complete.
   */
  static Outcome initialized(PodStatusReport report) {
    if ("Succeeded".equals(report.phase())) {
      return new Outcome(true, "PodCompleted", null);
    }
    List<ContainerStatusV1> init = report.initContainers();
    boolean appStarted = report.containers() != null && report.containers().stream().anyMatch(c -> c.state() != null
        && ("running".equals(c.state().kind()) || "terminated".equals(c.state().kind())));
    if (init == null || init.isEmpty() || appStarted) {
      return Outcome.TRUE;
    }
    List<String> incomplete = new ArrayList<>();
    for (ContainerStatusV1 container : init) {
      boolean completed = container.state() != null && "terminated".equals(container.state().kind())
          && container.state().exitCode() != null && container.state().exitCode() == 0;
      if (!completed) {
        incomplete.add(container.name());
      }
    }
    if (incomplete.isEmpty()) {
      return Outcome.TRUE;
    }
    return new Outcome(false, "ContainersNotInitialized", "containers with incomplete status: " + goList(incomplete));
  }

  /** A list of names as Go's {@code %s} prints a {@code []string}: {@code [a b]}. */
  static String goList(List<String> names) {
    return "[" + String.join(" ", names) + "]";
  }
}
