package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecurityV1.PodSecurityV1;
import io.outpost.protocol.SecurityV1.SysctlV1;
import java.util.List;
import java.util.Set;

/**
 * The kubelet's security admission handlers: {@code pkg/kubelet/sysctl} (reason {@code SysctlForbidden}: a sysctl that
 * is neither safe nor allowed by the node, or a network/IPC sysctl in a pod sharing the host's namespace),
 * {@code pkg/kubelet/lifecycle} capabilities (reason {@code CapabilitiesForbidden}: a privileged container, the host's
 * network, PID or IPC namespace where the node does not allow them) and AppArmor (reason {@code AppArmor}: an AppArmor
 * profile other than Unconfined on a host without AppArmor). A refused pod is rejected as the kubelet rejects
 * it: phase Failed, {@code Pod was rejected: <message>}, a Warning Event with the reason ({@link PodAdmission}).
 */
final class SecurityAdmission {
  static final String SYSCTL_FORBIDDEN = "SysctlForbidden";
  static final String CAPABILITIES_FORBIDDEN = "CapabilitiesForbidden";
  static final String APPARMOR = "AppArmor";
  static final Set<String> REASONS = Set.of(SYSCTL_FORBIDDEN, CAPABILITIES_FORBIDDEN, APPARMOR);

  /** Why a pod may not run on this node. */
  record Refusal(String reason, String message) {}

  private final NodeSecurity node;
  private final boolean appArmorEnabled;

  /** Admission on this host: AppArmor is enabled if the kernel says so. */
  SecurityAdmission(NodeSecurity node) {
    this(node, appArmorEnabledOnHost());
  }

  SecurityAdmission(NodeSecurity node, boolean appArmorEnabled) {
    this.node = node;
    this.appArmorEnabled = appArmorEnabled;
  }

  /** {@code /sys/module/apparmor/parameters/enabled} is {@code Y}, as runc and the kubelet check it. */
  static boolean appArmorEnabledOnHost() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/sys/module/apparmor/parameters/enabled"))
          .startsWith("Y");
    } catch (java.io.IOException e) {
      return false; // no such module: no AppArmor
    }
  }

  /** The first refusal for {@code pod} in the kubelet's order (sysctls, then capabilities), or null. */
  Refusal refusal(ObjectRef ref, PodV1 pod) {
    PodSecurityV1 security = pod.security();
    for (SysctlV1 sysctl : security.sysctlList()) {
      String error = sysctlError(NodeSecurity.normalise(sysctl.name()), security);
      if (error != null) {
        return new Refusal(SYSCTL_FORBIDDEN, "forbidden sysctl: " + error);
      }
    }
    String uid = "\"" + ref.uid() + "\"";
    if (!node.allowPrivileged()) {
      if (privileged(pod.containers())) {
        return forbidden("pod with UID " + uid + " specified privileged container, but is disallowed");
      }
      if (privileged(pod.initContainersInOrder())) {
        return forbidden("pod with UID " + uid + " specified privileged init container, but is disallowed");
      }
    }
    if (security.usesHostNetwork() && !node.allowHostNetwork()) {
      return forbidden("pod with UID " + uid + " specified host networking, but is disallowed");
    }
    if (security.usesHostPID() && !node.allowHostPID()) {
      return forbidden("pod with UID " + uid + " specified host PID, but is disallowed");
    }
    if (security.usesHostIPC() && !node.allowHostIPC()) {
      return forbidden("pod with UID " + uid + " specified host IPC, but is disallowed");
    }
    if (!appArmorEnabled && requiresAppArmor(pod)) {
      // The kubelet's AppArmor admission (apparmor/validate.go validateHost): a profile other than Unconfined cannot
      // be enforced on a host without AppArmor.
      return new Refusal(APPARMOR, "Cannot enforce AppArmor: AppArmor is not enabled on the host");
    }
    return null;
  }

  /** Whether a container's effective AppArmor profile (its own, else the pod's) is set and not Unconfined. */
  private static boolean requiresAppArmor(PodV1 pod) {
    List<ContainerV1> all = new java.util.ArrayList<>(pod.containers());
    all.addAll(pod.initContainersInOrder());
    for (ContainerV1 container : all) {
      String own = container.securityContext() == null ? null : container.securityContext().appArmorProfile();
      String profile = own != null ? own : pod.security().appArmorProfile();
      if (profile != null && !"Unconfined".equals(profile)) {
        return true;
      }
    }
    return false;
  }

  private String sysctlError(String name, PodSecurityV1 security) {
    if (!node.allows(name)) {
      return "\"" + name + "\" not allowlisted";
    }
    String namespace = NodeSecurity.namespaceOf(name);
    if ("net".equals(namespace) && security.usesHostNetwork() || "ipc".equals(namespace) && security.usesHostIPC()) {
      return "\"" + name + "\" not allowed with host " + namespace + " enabled";
    }
    return null;
  }

  private static boolean privileged(List<ContainerV1> containers) {
    return containers.stream().anyMatch(c -> c.securityContext() != null && c.securityContext().runsPrivileged());
  }

  private static Refusal forbidden(String message) {
    return new Refusal(CAPABILITIES_FORBIDDEN, message);
  }
}
