package io.outpost.containers.impl;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.Ports;
import io.outpost.protocol.PortV1;
import io.outpost.protocol.ResourcesV1;
import java.util.ArrayList;
import java.util.List;

/** How a {@link ContainerSpec} becomes a Docker Engine API create request. */
final class CreateRequests {
  /** The CFS period the kubelet uses for CPU limits. */
  static final long CPU_PERIOD_MICROS = 100_000;

  private CreateRequests() {}

  /** Sets command, environment, working directory, host configuration (network, resources, ports, binds). */
  static CreateContainerCmd fill(CreateContainerCmd cmd, ContainerSpec spec) {
    if (spec.entrypoint() != null && !spec.entrypoint().isEmpty()) {
      cmd.withEntrypoint(spec.entrypoint());
    }
    if (spec.cmd() != null && !spec.cmd().isEmpty()) {
      cmd.withCmd(spec.cmd());
    }
    if (spec.env() != null && !spec.env().isEmpty()) {
      cmd.withEnv(spec.env());
    }
    if (spec.workingDir() != null && !spec.workingDir().isEmpty()) {
      cmd.withWorkingDir(spec.workingDir());
    }
    HostConfig host = hostConfig(spec);
    if (spec.ports() != null && !spec.ports().isEmpty()) {
      List<ExposedPort> exposed = new ArrayList<>();
      Ports bindings = new Ports();
      for (PortV1 port : spec.ports()) {
        ExposedPort target = new ExposedPort(port.containerPort(),
            InternetProtocol.parse(port.protocolOrTcp().toLowerCase(java.util.Locale.ROOT)));
        exposed.add(target);
        bindings.bind(target, port.hostIP() == null ? Ports.Binding.bindPort(port.hostPort())
            : Ports.Binding.bindIpAndPort(port.hostIP(), port.hostPort()));
      }
      cmd.withExposedPorts(exposed);
      host = (host == null ? HostConfig.newHostConfig() : host).withPortBindings(bindings);
    }
    if (spec.mounts() != null && !spec.mounts().isEmpty()) {
      List<Bind> binds = new ArrayList<>();
      for (Volumes.Mount mount : spec.mounts()) {
        binds.add(new Bind(mount.source(), new com.github.dockerjava.api.model.Volume(mount.target()),
            mount.readOnly() ? AccessMode.ro : AccessMode.rw));
      }
      host = (host == null ? HostConfig.newHostConfig() : host).withBinds(binds);
    }
    if (host != null) {
      cmd.withHostConfig(host);
    }
    if (spec.hostname() != null) {
      cmd.withHostName(spec.hostname());
    }
    return cmd;
  }

  /**
   * Network mode and resources as the kubelet passes them to a Docker-compatible engine: memory limit without swap,
   * CPU limit as a CFS quota over a 100 ms period, CPU request (else limit) as the CPU weight (shares, at least 2);
   * the log capped at {@link ContainerSpec#logMaxBytes}.
   * Null if there is nothing to set.
   */
  static HostConfig hostConfig(ContainerSpec spec) {
    HostConfig host = HostConfig.newHostConfig();
    boolean set = false;
    if (spec.networkMode() != null) {
      host.withNetworkMode(spec.networkMode());
      set = true;
    }
    if (spec.logMaxBytes() > 0) {
      // The engine's default log driver, capped (Podman: the k8s-file log is truncated at this size).
      host.withLogConfig(new com.github.dockerjava.api.model.LogConfig(null,
          java.util.Map.of("max-size", Long.toString(spec.logMaxBytes()))));
      set = true;
    }
    ResourcesV1 resources = spec.resources();
    if (resources != null) {
      if (resources.memoryLimitBytes() != null && resources.memoryLimitBytes() > 0) {
        host.withMemory(resources.memoryLimitBytes()).withMemorySwap(resources.memoryLimitBytes());
        set = true;
      }
      if (resources.cpuLimitMillis() != null && resources.cpuLimitMillis() > 0) {
        host.withCpuPeriod(CPU_PERIOD_MICROS).withCpuQuota(resources.cpuLimitMillis() * CPU_PERIOD_MICROS / 1000);
        set = true;
      }
      Long weight = resources.cpuRequestMillis() != null ? resources.cpuRequestMillis() : resources.cpuLimitMillis();
      if (weight != null) {
        host.withCpuShares((int) Math.max(2, Math.min(262_144, weight * 1024 / 1000)));
        set = true;
      }
    }
    return set ? host : null;
  }
}
