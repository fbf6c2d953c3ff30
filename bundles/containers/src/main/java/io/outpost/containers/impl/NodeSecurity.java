package io.outpost.containers.impl;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What this node lets pods do beyond the defaults: privileged containers and the host's network, PID and IPC
 * namespaces (each off by default, as the kubelet's {@code --allow-privileged=false} / host*-sources once were), the
 * unsafe sysctls an operator allows ({@code --allowed-unsafe-sysctls}), the seccomp profile of a container that names
 * none ({@code seccompDefault}: the engine's default profile, as the kubelet's {@code --seccomp-default}), and the
 * directory that {@code Localhost} seccomp profiles are read from (the kubelet's {@code <root>/seccomp}).
 */
record NodeSecurity(boolean allowPrivileged, boolean allowHostNetwork, boolean allowHostPID, boolean allowHostIPC,
    List<String> allowedUnsafeSysctls, boolean seccompDefault, Path seccompDir) {

  /**
   * The node's switches for what pods may use beyond the defaults, each {@code false} unless its key is
   * {@code true}; a pod asking for one that is off is rejected (Failed, reason {@code CapabilitiesForbidden}, with a
   * Warning Event).
   */
  enum Allow {
    /** Privileged containers ({@code securityContext.privileged}). */
    PRIVILEGED("allow.privileged"),
    /** The host's network namespace ({@code spec.hostNetwork}); the pod IP is then the node's address. */
    HOST_NETWORK("allow.host.network"),
    /** The host's PID namespace ({@code spec.hostPID}). */
    HOST_PID("allow.host.pid"),
    /** The host's IPC namespace ({@code spec.hostIPC}). */
    HOST_IPC("allow.host.ipc");

    final String key;

    Allow(String key) {
      this.key = key;
    }

    /** Whether {@code properties} (the component's configuration) turn this switch on. */
    boolean in(java.util.Map<String, ?> properties) {
      Object value = properties == null ? null : properties.get(key);
      return value != null && Boolean.parseBoolean(value.toString().trim());
    }
  }

  /**
   * The kubelet's safe sysctls ({@code pkg/kubelet/sysctl/safe_sysctls.go}, 1.32): namespaced, and unable to affect
   * other pods or the node. Always allowed.
   */
  static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
      "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
      "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
      "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem");

  /** Prefixes of the sysctls the kernel namespaces per IPC or network namespace: only these can be allowed. */
  private static final List<String> NAMESPACED = List.of("kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue.",
      "net.");

  /** Nothing beyond the defaults; Localhost profiles under {@code ${karaf.etc}/seccomp}. */
  static final NodeSecurity DEFAULT = new NodeSecurity(false, false, false, false, List.of(), true,
      defaultSeccompDir());

  NodeSecurity {
    allowedUnsafeSysctls = allowedUnsafeSysctls == null ? List.of() : List.copyOf(allowedUnsafeSysctls);
    for (String pattern : allowedUnsafeSysctls) {
      String prefix = pattern.endsWith("*") ? pattern.substring(0, pattern.length() - 1) : pattern;
      if (NAMESPACED.stream().noneMatch(prefix::startsWith)) {
        throw new IllegalArgumentException("allowed.unsafe.sysctls: the sysctls \"" + pattern
            + "\" are not known to be namespaced (allowed: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.*)");
      }
    }
    if (seccompDir == null || !seccompDir.isAbsolute()) {
      throw new IllegalArgumentException("seccomp.profiles.dir must be an absolute path, got " + seccompDir);
    }
  }

  /** {@code ${karaf.etc}/seccomp} (the temporary directory outside Karaf). */
  static Path defaultSeccompDir() {
    return Path.of(System.getProperty("karaf.etc", System.getProperty("java.io.tmpdir")), "seccomp");
  }

  /** The kubelet's spelling of a sysctl name: slashes as separators become dots. */
  static String normalise(String name) {
    int dot = name.indexOf('.');
    int slash = name.indexOf('/');
    if (slash < 0 || dot >= 0 && dot < slash) {
      return name;
    }
    return name.replace('.', '\u0000').replace('/', '.').replace('\u0000', '/');
  }

  /** Whether {@code name} (normalised) may be set: a safe sysctl, or one the operator allows. */
  boolean allows(String name) {
    if (SAFE_SYSCTLS.contains(name)) {
      return true;
    }
    for (String pattern : allowedUnsafeSysctls) {
      if (pattern.endsWith("*") ? name.startsWith(pattern.substring(0, pattern.length() - 1))
          : name.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  /** {@code net} or {@code ipc}: the namespace a sysctl lives in (null if neither). */
  static String namespaceOf(String name) {
    if (name.startsWith("net.")) {
      return "net";
    }
    return name.startsWith("kernel.shm") || name.startsWith("kernel.msg") || name.startsWith("kernel.sem")
        || name.startsWith("fs.mqueue.") ? "ipc" : null;
  }
}
