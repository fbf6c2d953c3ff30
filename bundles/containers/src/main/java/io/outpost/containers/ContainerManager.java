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
}
