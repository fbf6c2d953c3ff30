package io.outpost.containers.impl;

import io.outpost.protocol.PortV1;
import io.outpost.protocol.ResourcesV1;
import java.util.List;
import java.util.Map;

/**
 * What the manager asks the engine to create. Null or empty lists mean "the image's default". {@code networkMode}
 * {@code container:<id>} joins another container's network and UTS namespaces (the pod's infra container: its
 * hostname is theirs, {@code hostname} is then not used); null is the engine's default network. {@code hostname} null
 * is the engine's default. {@code resources} null: no limits. {@code ports}: published on the node (the infra
 * container's), null for none. {@code security}: user, groups, capabilities, seccomp, namespaces
 * ({@link EngineSecurity#NONE}: the engine's defaults). {@code stopSignal}: the signal that stops the container
 * ({@code lifecycle.stopSignal}); null keeps the image's {@code STOPSIGNAL}.
 */
record ContainerSpec(
    String name,
    String image,
    List<String> entrypoint,
    List<String> cmd,
    List<String> env,
    String workingDir,
    Map<String, String> labels,
    String networkMode,
    String hostname,
    ResourcesV1 resources,
    List<PortV1> ports,
    List<Volumes.Mount> mounts,
    long logMaxBytes,
    EngineSecurity security,
    String stopSignal) {

  ContainerSpec {
    security = security == null ? EngineSecurity.NONE : security;
  }

  /** A container stopped by its image's stop signal. */
  ContainerSpec(String name, String image, List<String> entrypoint, List<String> cmd, List<String> env,
      String workingDir, Map<String, String> labels, String networkMode, String hostname, ResourcesV1 resources,
      List<PortV1> ports, List<Volumes.Mount> mounts, long logMaxBytes, EngineSecurity security) {
    this(name, image, entrypoint, cmd, env, workingDir, labels, networkMode, hostname, resources, ports, mounts,
        logMaxBytes, security, null);
  }

  /** A container with the engine's default security settings. */
  ContainerSpec(String name, String image, List<String> entrypoint, List<String> cmd, List<String> env,
      String workingDir, Map<String, String> labels, String networkMode, String hostname, ResourcesV1 resources,
      List<PortV1> ports, List<Volumes.Mount> mounts, long logMaxBytes) {
    this(name, image, entrypoint, cmd, env, workingDir, labels, networkMode, hostname, resources, ports, mounts,
        logMaxBytes, EngineSecurity.NONE);
  }

  /** The same container with {@code more} labels. */
  ContainerSpec withLabels(Map<String, String> more) {
    if (more.isEmpty()) {
      return this;
    }
    Map<String, String> all = new java.util.LinkedHashMap<>(labels);
    all.putAll(more);
    return new ContainerSpec(name, image, entrypoint, cmd, env, workingDir, all, networkMode, hostname, resources,
        ports, mounts, logMaxBytes, security);
  }

  /** The same container with the engine's own log settings. */
  ContainerSpec withoutLogCap() {
    return new ContainerSpec(name, image, entrypoint, cmd, env, workingDir, labels, networkMode, hostname, resources,
        ports, mounts, 0, security, stopSignal);
  }
}
