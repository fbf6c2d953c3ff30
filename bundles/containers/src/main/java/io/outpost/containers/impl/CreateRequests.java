package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.outpost.protocol.PortV1;
import io.outpost.protocol.ResourcesV1;
import java.util.Collection;
import java.util.Map;

/** How a {@link ContainerSpec} becomes a Docker Engine API create request ({@code POST /containers/create}). */
final class CreateRequests {
  /** The CFS period the kubelet uses for CPU limits. */
  static final long CPU_PERIOD_MICROS = 100_000;

  private CreateRequests() {}

  /**
   * The request body: image, labels, command, environment, working directory, user, exposed ports, hostname and
   * the host configuration (network, resources, ports, binds, security). The name goes in the query.
   */
  static ObjectNode body(ContainerSpec spec) {
    ObjectNode body = EngineHttp.JSON.createObjectNode();
    body.put("Image", spec.image());
    if (spec.labels() != null) {
      putStrings(body.putObject("Labels"), spec.labels());
    }
    if (spec.entrypoint() != null && !spec.entrypoint().isEmpty()) {
      strings(body.putArray("Entrypoint"), spec.entrypoint());
    }
    if (spec.cmd() != null && !spec.cmd().isEmpty()) {
      strings(body.putArray("Cmd"), spec.cmd());
    }
    if (spec.env() != null && !spec.env().isEmpty()) {
      strings(body.putArray("Env"), spec.env());
    }
    if (spec.workingDir() != null && !spec.workingDir().isEmpty()) {
      body.put("WorkingDir", spec.workingDir());
    }
    if (spec.stopSignal() != null && !spec.stopSignal().isEmpty()) {
      body.put("StopSignal", spec.stopSignal()); // else the engine keeps the image's STOPSIGNAL
    }
    if (spec.stdio().stdin()) {
      // kubectl attach -i: the engine keeps the process's stdin open for attaching clients.
      body.put("OpenStdin", true).put("StdinOnce", spec.stdio().stdinOnce());
    }
    if (spec.stdio().tty()) {
      body.put("Tty", true);
    }
    if (spec.security().user() != null) {
      body.put("User", spec.security().user());
    }
    ObjectNode host = hostConfig(spec);
    if (spec.ports() != null && !spec.ports().isEmpty()) {
      ObjectNode exposed = body.putObject("ExposedPorts");
      host = host == null ? EngineHttp.JSON.createObjectNode() : host;
      ObjectNode bindings = host.putObject("PortBindings");
      for (PortV1 port : spec.ports()) {
        String target = port.containerPort() + "/" + port.protocolOrTcp().toLowerCase(java.util.Locale.ROOT);
        exposed.putObject(target);
        ObjectNode binding = bindings.putArray(target).addObject();
        binding.put("HostIp", port.hostIP() == null ? "" : port.hostIP());
        binding.put("HostPort", port.hostPort() == null ? "" : Integer.toString(port.hostPort()));
      }
    }
    if (spec.mounts() != null && !spec.mounts().isEmpty()) {
      host = host == null ? EngineHttp.JSON.createObjectNode() : host;
      ArrayNode binds = host.putArray("Binds");
      for (Volumes.Mount mount : spec.mounts()) {
        binds.add(mount.source() + ":" + mount.target() + ":" + (mount.readOnly() ? "ro" : "rw"));
      }
    }
    // Always sent, empty if there is nothing to set, as docker-java did.
    body.set("HostConfig", host == null ? EngineHttp.JSON.createObjectNode() : host);
    if (spec.hostname() != null && joined(spec) == null) {
      body.put("Hostname", spec.hostname());
    }
    return body;
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
  static ObjectNode hostConfig(ContainerSpec spec) {
    ObjectNode host = EngineHttp.JSON.createObjectNode();
    boolean set = false;
    if (spec.networkMode() != null) {
      host.put("NetworkMode", spec.networkMode());
      set = true;
    }
    if (joined(spec) != null) {
      // A pod's containers share its sandbox's UTS namespace as they share its network: one hostname for the pod.
      // Found on Podman 4.3 (Docker API 1.41): HostConfig.UTSMode "container:<id>" is honoured — the container
      // gets the infra container's UTS namespace (same /proc/1/ns/uts) and Podman writes that container's hostname
      // into its /etc/hostname; a Hostname in the same request is refused ("cannot set hostname when running in
      // the host UTS namespace"), so none is sent. NetworkMode "container:<id>" alone leaves a private UTS
      // namespace whose hostname is the container id (a Hostname there would only copy the name, not share it).
      host.put("UTSMode", joined(spec));
    }
    if (spec.logMaxBytes() > 0) {
      // The engine's default log driver, capped (Podman: the k8s-file log is truncated at this size).
      host.putObject("LogConfig").putObject("Config").put("max-size", Long.toString(spec.logMaxBytes()));
      set = true;
    }
    set |= security(host, spec.security(), joined(spec) != null);
    ResourcesV1 resources = spec.resources();
    if (resources != null) {
      if (resources.memoryLimitBytes() != null && resources.memoryLimitBytes() > 0) {
        host.put("Memory", resources.memoryLimitBytes()).put("MemorySwap", resources.memoryLimitBytes());
        set = true;
      }
      if (resources.cpuLimitMillis() != null && resources.cpuLimitMillis() > 0) {
        host.put("CpuPeriod", CPU_PERIOD_MICROS).put("CpuQuota", resources.cpuLimitMillis() * CPU_PERIOD_MICROS / 1000);
        set = true;
      }
      Long weight = resources.cpuRequestMillis() != null ? resources.cpuRequestMillis() : resources.cpuLimitMillis();
      if (weight != null) {
        host.put("CpuShares", (int) Math.max(2, Math.min(262_144, weight * 1024 / 1000)));
        set = true;
      }
    }
    return set ? host : null;
  }

  /**
   * The security settings of a container (see {@link EngineSecurity}); {@code joined}: the container shares its
   * sandbox's UTS namespace already. Whether anything was set.
   */
  static boolean security(ObjectNode host, EngineSecurity security, boolean joined) {
    boolean set = false;
    if (!security.groupAdd().isEmpty()) {
      strings(host.putArray("GroupAdd"), security.groupAdd());
      set = true;
    }
    if (!security.capAdd().isEmpty()) {
      strings(host.putArray("CapAdd"), security.capAdd());
      set = true;
    }
    if (!security.capDrop().isEmpty()) {
      strings(host.putArray("CapDrop"), security.capDrop());
      set = true;
    }
    if (security.privileged()) {
      host.put("Privileged", true);
      set = true;
    }
    if (security.readOnlyRootfs()) {
      host.put("ReadonlyRootfs", true);
      set = true;
    }
    if (!security.securityOpts().isEmpty()) {
      strings(host.putArray("SecurityOpt"), security.securityOpts());
      set = true;
    }
    if (security.pidMode() != null) {
      host.put("PidMode", security.pidMode());
      set = true;
    }
    if (security.ipcMode() != null) {
      host.put("IpcMode", security.ipcMode());
      set = true;
    }
    if (security.utsMode() != null && !joined) {
      host.put("UTSMode", security.utsMode());
      set = true;
    }
    if (!security.sysctls().isEmpty()) {
      putStrings(host.putObject("Sysctls"), security.sysctls());
      set = true;
    }
    return set;
  }

  private static void strings(ArrayNode array, Collection<String> values) {
    values.forEach(array::add);
  }

  private static void putStrings(ObjectNode object, Map<String, String> values) {
    values.forEach(object::put);
  }
}
