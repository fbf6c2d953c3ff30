package io.outpost.containers.impl;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
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
    if (spec.security().user() != null) {
      cmd.withUser(spec.security().user());
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
    if (spec.hostname() != null && joined(spec) == null) {
      cmd.withHostName(spec.hostname());
    }
    return cmd;
  }

  /**
   * The container whose namespaces {@code spec} joins ({@code container:<id>} of its network mode: the pod's infra
   * container), else null.
   */
  static String joined(ContainerSpec spec) {
    return spec.networkMode() != null && spec.networkMode().startsWith("container:") ? spec.networkMode() : null;
  }

  /**
   * Network mode, UTS mode and resources as the kubelet passes them to a Docker-compatible engine: memory limit
   * without swap, CPU limit as a CFS quota over a 100 ms period, CPU request (else limit) as the CPU weight (shares,
   * at least 2); the log capped at {@link ContainerSpec#logMaxBytes}. Null if there is nothing to set.
   */
  static HostConfig hostConfig(ContainerSpec spec) {
    HostConfig host = HostConfig.newHostConfig();
    boolean set = false;
    if (spec.networkMode() != null) {
      host.withNetworkMode(spec.networkMode());
      set = true;
    }
    if (joined(spec) != null) {
      // A pod's containers share its sandbox's UTS namespace as they share its network: one hostname for the pod.
      // Found on Podman 4.3 (Docker API 1.41): HostConfig.UTSMode "container:<id>" is honoured — the container
      // gets the infra container's UTS namespace (same /proc/1/ns/uts) and Podman writes that container's hostname
      // into its /etc/hostname; a Hostname in the same request is refused ("cannot set hostname when running in
      // the host UTS namespace"), so none is sent. NetworkMode "container:<id>" alone leaves a private UTS
      // namespace whose hostname is the container id (a Hostname there would only copy the name, not share it).
      host.withUtSMode(joined(spec));
    }
    if (spec.logMaxBytes() > 0) {
      // The engine's default log driver, capped (Podman: the k8s-file log is truncated at this size).
      host.withLogConfig(new com.github.dockerjava.api.model.LogConfig(null,
          java.util.Map.of("max-size", Long.toString(spec.logMaxBytes()))));
      set = true;
    }
    set |= security(host, spec.security(), joined(spec) != null);
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

  /**
   * The security settings of a container (see {@link EngineSecurity}); {@code joined}: the container shares its
   * sandbox's UTS namespace already. Whether anything was set.
   */
  static boolean security(HostConfig host, EngineSecurity security, boolean joined) {
    boolean set = false;
    if (!security.groupAdd().isEmpty()) {
      host.withGroupAdd(security.groupAdd());
      set = true;
    }
    if (!security.capAdd().isEmpty()) {
      host.withCapAdd(security.capAdd().stream().map(Capability::valueOf).toArray(Capability[]::new));
      set = true;
    }
    if (!security.capDrop().isEmpty()) {
      host.withCapDrop(security.capDrop().stream().map(Capability::valueOf).toArray(Capability[]::new));
      set = true;
    }
    if (security.privileged()) {
      host.withPrivileged(true);
      set = true;
    }
    if (security.readOnlyRootfs()) {
      host.withReadonlyRootfs(true);
      set = true;
    }
    if (!security.securityOpts().isEmpty()) {
      host.withSecurityOpts(security.securityOpts());
      set = true;
    }
    if (security.pidMode() != null) {
      host.withPidMode(security.pidMode());
      set = true;
    }
    if (security.ipcMode() != null) {
      host.withIpcMode(security.ipcMode());
      set = true;
    }
    if (security.utsMode() != null && !joined) {
      host.withUtSMode(security.utsMode());
      set = true;
    }
    if (!security.sysctls().isEmpty()) {
      host.withSysctls(security.sysctls());
      set = true;
    }
    return set;
  }
}
