package io.outpost.containers;

import java.util.List;

/**
 * Runs the pods of this node's edge store on the local container engine (Docker Engine API, as Podman serves it).
 * Read-only view for console commands and health checks; the work itself happens on the manager's own executor.
 */
public interface ContainerManager {

  /** The pods the manager currently knows about, with their last computed status, sorted by namespace and name. */
  List<PodRuntime> pods();

  /** Whether the container engine answered the last time it was asked. */
  EngineStatus engine();

  /** Asks for a reconciliation pass as soon as possible and returns at once. */
  void resync();

  /**
   * The log (stdout and stderr, in order) of one container of a pod this node runs: its last {@code tailLines}
   * lines, or all of it if negative, at most {@link #MAX_LOG_BYTES} (the newest are kept).
   *
   * @param container the container's name; may be null if the pod has exactly one container
   * @throws IllegalArgumentException naming what is unknown or ambiguous (pod, container)
   * @throws IllegalStateException if the engine cannot be asked
   */
  String logs(String namespace, String pod, String container, int tailLines);

  /** The most log bytes {@link #logs} returns. */
  int MAX_LOG_BYTES = 4 * 1024 * 1024;
}
