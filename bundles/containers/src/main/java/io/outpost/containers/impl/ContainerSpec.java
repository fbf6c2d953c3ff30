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
 * ({@code lifecycle.stopSignal}); null keeps the image's {@code STOPSIGNAL}. {@code stdio}: whether the process keeps
 * a stdin open and has a terminal ({@link Stdio#NONE}: neither, the engine's default).
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
    String stopSignal,
    Stdio stdio) {

  ContainerSpec {
    security = security == null ? EngineSecurity.NONE : security;
    stdio = stdio == null ? Stdio.NONE : stdio;
  }

  /**
   * The container's {@code stdin}, {@code stdinOnce} and {@code tty} (Docker's {@code OpenStdin}, {@code StdinOnce},
   * {@code Tty}): what {@code kubectl attach} and {@code kubectl debug -it} join.
   */
  record Stdio(boolean stdin, boolean stdinOnce, boolean tty) {
    static final Stdio NONE = new Stdio(false, false, false);

    static Stdio of(io.outpost.protocol.PodV1.ContainerV1 spec) {
      return new Stdio(Boolean.TRUE.equals(spec.stdin()), Boolean.TRUE.equals(spec.stdinOnce()),
          Boolean.TRUE.equals(spec.tty()));
    }
  }

  /** A container stopped by its image's stop signal, without stdin or terminal. */
  ContainerSpec(String name, String image, List<String> entrypoint, List<String> cmd, List<String> env,
      String workingDir, Map<String, String> labels, String networkMode, String hostname, ResourcesV1 resources,
      List<PortV1> ports, List<Volumes.Mount> mounts, long logMaxBytes, EngineSecurity security) {
    this(name, image, entrypoint, cmd, env, workingDir, labels, networkMode, hostname, resources, ports, mounts,
        logMaxBytes, security, null, Stdio.NONE);
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
        ports, mounts, logMaxBytes, security, stopSignal, stdio);
  }

  /** The same container with the engine's own log settings. */
  ContainerSpec withoutLogCap() {
    return new ContainerSpec(name, image, entrypoint, cmd, env, workingDir, labels, networkMode, hostname, resources,
        ports, mounts, 0, security, stopSignal, stdio);
  }

  /** The same container stopped by {@code signal} (null: the image's {@code STOPSIGNAL}). */
  ContainerSpec withStopSignal(String signal) {
    return new ContainerSpec(name, image, entrypoint, cmd, env, workingDir, labels, networkMode, hostname, resources,
        ports, mounts, logMaxBytes, security, signal, stdio);
  }

  /** The same container with the given stdin and terminal settings. */
  ContainerSpec withStdio(Stdio value) {
    return new ContainerSpec(name, image, entrypoint, cmd, env, workingDir, labels, networkMode, hostname, resources,
        ports, mounts, logMaxBytes, security, stopSignal, value);
  }

  /** The same container with other labels and security settings (an ephemeral container: {@link EphemeralContainers}). */
  ContainerSpec with(Map<String, String> newLabels, EngineSecurity newSecurity) {
    return new ContainerSpec(name, image, entrypoint, cmd, env, workingDir, newLabels, networkMode, hostname,
        resources, ports, mounts, logMaxBytes, newSecurity, stopSignal, stdio);
  }
}
