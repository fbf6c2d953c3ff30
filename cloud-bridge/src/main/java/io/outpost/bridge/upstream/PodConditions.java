package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The kubelet's pod conditions (1.32, pkg/kubelet/status/generate.go), computed over the pod's spec from the
 * container statuses a node reported (only those of containers in the spec: {@link StatusClaims}): status, reason and
 * message as the kubelet writes them, {@code Ready} over the pod's readiness gates; and the kubelet's merge, which
 * keeps every condition it does not own (kubelet_pods.go {@code generateAPIPodStatus}, status_manager.go
 * {@code mergePodStatus}).
 */
final class PodConditions {
  private PodConditions() {}

  /** The condition types a kubelet owns (pkg/kubelet/types {@code PodConditionByKubelet}); all others are kept. */
  static final Set<String> OWNED = Set.of("PodScheduled", "Ready", "Initialized", "ContainersReady",
      "PodReadyToStartContainers");

  /** A condition's status, reason and message (both null when True). */
  record Outcome(boolean status, String reason, String message) {
    static final Outcome TRUE = new Outcome(true, null, null);
  }

  /**
   * {@code GenerateContainersReadyCondition}: over the spec's containers and restartable (sidecar) init containers,
   * PodCompleted once the pod succeeded, PodFailed once it failed, else ContainersNotReady naming the containers
   * without a status ("unknown") and those not ready.
   */
  static Outcome containersReady(PodSpec spec, String phase, List<ContainerStatusV1> containers,
      List<ContainerStatusV1> init) {
    if (containers == null || containers.isEmpty()) {
      return new Outcome(false, "UnknownContainerStatuses", null);
    }
    List<String> unknown = new ArrayList<>();
    List<String> unready = new ArrayList<>();
    for (Container container : list(spec.getInitContainers())) {
      if ("Always".equals(container.getRestartPolicy())) {
        sort(container.getName(), init, unknown, unready);
      }
    }
    for (Container container : list(spec.getContainers())) {
      sort(container.getName(), containers, unknown, unready);
    }
    if ("Succeeded".equals(phase) && unknown.isEmpty()) {
      return new Outcome(false, "PodCompleted", null);
    }
    if ("Failed".equals(phase)) {
      return new Outcome(false, "PodFailed", null);
    }
    List<String> messages = new ArrayList<>(2);
    if (!unknown.isEmpty()) {
      messages.add("containers with unknown status: " + goList(unknown));
    }
    if (!unready.isEmpty()) {
      messages.add("containers with unready status: " + goList(unready));
    }
    return messages.isEmpty() ? Outcome.TRUE
        : new Outcome(false, "ContainersNotReady", String.join(", ", messages));
  }

  private static void sort(String name, List<ContainerStatusV1> statuses, List<String> unknown,
      List<String> unready) {
    Optional<ContainerStatusV1> status = status(statuses, name);
    if (status.isEmpty()) {
      unknown.add(name);
    } else if (!status.get().ready()) {
      unready.add(name);
    }
  }

  /**
   * {@code GeneratePodInitializedCondition}: True (reason PodCompleted) once the pod succeeded with every init
   * container known; True if an app container has started ({@code HasAnyRegularContainerStarted}); else
   * ContainersNotInitialized naming the init containers without a status and those not complete (a regular one
   * terminated with exit code 0, a restartable one started: running with its startup probe passed).
   */
  static Outcome initialized(PodSpec spec, String phase, List<ContainerStatusV1> containers,
      List<ContainerStatusV1> init) {
    List<String> unknown = new ArrayList<>();
    List<String> incomplete = new ArrayList<>();
    for (Container container : list(spec.getInitContainers())) {
      Optional<ContainerStatusV1> status = status(init, container.getName());
      if (status.isEmpty()) {
        unknown.add(container.getName());
      } else if (!initialized(container, status.get())) {
        incomplete.add(container.getName());
      }
    }
    if ("Succeeded".equals(phase) && unknown.isEmpty()) {
      return new Outcome(true, "PodCompleted", null);
    }
    boolean appStarted = containers != null && containers.stream().anyMatch(c -> c.state() != null
        && ("running".equals(c.state().kind()) || "terminated".equals(c.state().kind())));
    if (appStarted) {
      return Outcome.TRUE;
    }
    List<String> messages = new ArrayList<>(2);
    if (!unknown.isEmpty()) {
      messages.add("containers with unknown status: " + goList(unknown));
    }
    if (!incomplete.isEmpty()) {
      messages.add("containers with incomplete status: " + goList(incomplete));
    }
    return messages.isEmpty() ? Outcome.TRUE
        : new Outcome(false, "ContainersNotInitialized", String.join(", ", messages));
  }

  private static boolean initialized(Container container, ContainerStatusV1 status) {
    if ("Always".equals(container.getRestartPolicy())) {
      // isInitContainerInitialized: a sidecar once it has started (running, its startup probe passed); a node that
      // does not report started (older edges) counts it started while it runs.
      boolean running = status.state() != null && "running".equals(status.state().kind());
      return status.started() != null ? running && status.started() : running;
    }
    return status.state() != null && "terminated".equals(status.state().kind())
        && status.state().exitCode() != null && status.state().exitCode() == 0;
  }

  /**
   * {@code GeneratePodReadyCondition}: ContainersReady's outcome if that is not True; else False with
   * ReadinessGatesNotReady while a readiness gate's condition (looked up in {@code conditions}: those the pod shows
   * that the kubelet does not own, and the ones it generated before Ready) is missing or not True.
   */
  static Outcome ready(PodSpec spec, Outcome containersReady, List<PodCondition> conditions) {
    if (!containersReady.status()) {
      return containersReady;
    }
    List<String> unready = new ArrayList<>();
    for (PodReadinessGate gate : list(spec.getReadinessGates())) {
      String type = gate.getConditionType();
      Optional<PodCondition> condition = conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
      if (condition.isEmpty()) {
        unready.add("corresponding condition of pod readiness gate " + goQuote(type) + " does not exist.");
      } else if (!"True".equals(condition.get().getStatus())) {
        unready.add("the status of pod readiness gate " + goQuote(type) + " is not \"True\", but "
            + condition.get().getStatus());
      }
    }
    return unready.isEmpty() ? Outcome.TRUE
        : new Outcome(false, "ReadinessGatesNotReady", String.join(", ", unready));
  }

  /** The conditions of {@code previous} the kubelet does not own, in their order (the kubelet lists them first). */
  static List<PodCondition> foreign(List<PodCondition> previous) {
    return previous == null ? List.of() : previous.stream().filter(c -> c != null && !OWNED.contains(c.getType()))
        .toList();
  }

  private static Optional<ContainerStatusV1> status(List<ContainerStatusV1> statuses, String name) {
    return statuses == null ? Optional.empty() : statuses.stream().filter(s -> name.equals(s.name())).findFirst();
  }

  private static <T> List<T> list(List<T> items) {
    return items == null ? List.of() : items;
  }

  /** A list of names as Go's {@code %s} prints a {@code []string}: {@code [a b]}. */
  static String goList(List<String> names) {
    return "[" + String.join(" ", names) + "]";
  }

  /** A string as Go's {@code %q} prints it (condition types are printable ASCII: quotes and backslashes escaped). */
  static String goQuote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
