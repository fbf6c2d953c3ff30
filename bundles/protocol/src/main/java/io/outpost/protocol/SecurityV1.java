package io.outpost.protocol;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The security settings of a pod and its containers (Kubernetes {@code spec.securityContext},
 * {@code spec.hostNetwork/hostPID/hostIPC} and {@code containers[].securityContext}). Every field is optional: absent
 * means "not set" as in Kubernetes (the edge then applies Kubernetes' defaults). A setting the edge cannot honour is
 * carried, by name, in {@code unsupported}: the edge refuses such a pod with a reason rather than run it without the
 * setting. Added compatibly within v1 (docs/protocol.md §12).
 */
public final class SecurityV1 {
  /** The largest user or group id Kubernetes accepts (math.MaxInt32). */
  public static final long MAX_ID = Integer.MAX_VALUE;
  /** Linux capabilities by their Kubernetes names (without {@code CAP_}), and {@code ALL}. */
  public static final Set<String> CAPABILITIES = Set.of("ALL", "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE",
      "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
      "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN",
      "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
      "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYSLOG", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE",
      "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM");
  /** Kubernetes' sysctl name rule (dots or slashes as separators), at most 253 characters. */
  private static final Pattern SYSCTL = Pattern.compile(
      "([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?");
  static final int MAX_LIST = 64;

  private SecurityV1() {}

  /**
   * Pod-level settings. {@code supplementalGroups} and {@code fsGroup} apply to every container; {@code runAsUser},
   * {@code runAsGroup}, {@code runAsNonRoot} and {@code seccompProfile} are the defaults a container's own settings
   * override, as does {@code appArmorProfile} ({@code RuntimeDefault} or {@code Unconfined}). {@code hostNetwork},
   * {@code hostPID}, {@code hostIPC}: only {@code true} is sent.
   */
  public record PodSecurityV1(
      Long runAsUser,
      Long runAsGroup,
      Boolean runAsNonRoot,
      List<Long> supplementalGroups,
      Long fsGroup,
      String fsGroupChangePolicy,
      List<SysctlV1> sysctls,
      SeccompV1 seccompProfile,
      Boolean hostNetwork,
      Boolean hostPID,
      Boolean hostIPC,
      String appArmorProfile,
      List<String> unsupported) {

    public boolean usesHostNetwork() {
      return Boolean.TRUE.equals(hostNetwork);
    }

    public boolean usesHostPID() {
      return Boolean.TRUE.equals(hostPID);
    }

    public boolean usesHostIPC() {
      return Boolean.TRUE.equals(hostIPC);
    }

    /** The sysctls, empty if none. */
    public List<SysctlV1> sysctlList() {
      return sysctls == null ? List.of() : sysctls;
    }

    /** The supplemental groups, empty if none. */
    public List<Long> groups() {
      return supplementalGroups == null ? List.of() : supplementalGroups;
    }

    void validate() throws ProtocolException {
      id(runAsUser, "pod.securityContext.runAsUser");
      id(runAsGroup, "pod.securityContext.runAsGroup");
      id(fsGroup, "pod.securityContext.fsGroup");
      size(supplementalGroups, "pod.securityContext.supplementalGroups");
      for (Long group : groups()) {
        Validation.require(group, "pod.securityContext.supplementalGroups[]");
        id(group, "pod.securityContext.supplementalGroups[]");
      }
      if (fsGroupChangePolicy != null && !Set.of("OnRootMismatch", "Always").contains(fsGroupChangePolicy)) {
        throw invalid("pod.securityContext.fsGroupChangePolicy must be OnRootMismatch or Always, was '"
            + fsGroupChangePolicy + "'");
      }
      size(sysctls, "pod.securityContext.sysctls");
      java.util.Set<String> names = new java.util.HashSet<>();
      for (SysctlV1 sysctl : sysctlList()) {
        Validation.require(sysctl, "pod.securityContext.sysctls[]");
        sysctl.validate();
        if (!names.add(sysctl.name().replace('/', '.'))) {
          throw invalid("sysctl '" + sysctl.name() + "' is set twice in pod.securityContext.sysctls");
        }
      }
      if (seccompProfile != null) {
        seccompProfile.validate("pod.securityContext.seccompProfile");
      }
      appArmor(appArmorProfile, "pod.securityContext.appArmorProfile");
      checkNames(unsupported, "pod.securityContext.unsupported");
    }
  }

  /**
   * Container-level settings ({@code containers[].securityContext}); {@code runAsUser}, {@code runAsGroup},
   * {@code runAsNonRoot} and {@code seccompProfile} override the pod's. {@code capAdd}/{@code capDrop} are
   * capability names without {@code CAP_}, upper case ({@link #CAPABILITIES}).
   */
  public record ContainerSecurityV1(
      Long runAsUser,
      Long runAsGroup,
      Boolean runAsNonRoot,
      List<String> capAdd,
      List<String> capDrop,
      Boolean allowPrivilegeEscalation,
      Boolean readOnlyRootFilesystem,
      Boolean privileged,
      SeccompV1 seccompProfile,
      String procMount,
      String appArmorProfile,
      List<String> unsupported) {

    public boolean runsPrivileged() {
      return Boolean.TRUE.equals(privileged);
    }

    void validate(String container) throws ProtocolException {
      String at = "container " + container + " securityContext";
      id(runAsUser, at + ".runAsUser");
      id(runAsGroup, at + ".runAsGroup");
      capabilities(capAdd, at + ".capabilities.add");
      capabilities(capDrop, at + ".capabilities.drop");
      if (runsPrivileged() && Boolean.FALSE.equals(allowPrivilegeEscalation)) {
        throw invalid(at + ": cannot set allowPrivilegeEscalation to false and privileged to true");
      }
      if (procMount != null && !Set.of("Default", "Unmasked").contains(procMount)) {
        throw invalid(at + ".procMount must be Default or Unmasked, was '" + procMount + "'");
      }
      if (seccompProfile != null) {
        seccompProfile.validate(at + ".seccompProfile");
      }
      appArmor(appArmorProfile, at + ".appArmorProfile");
      checkNames(unsupported, at + ".unsupported");
    }
  }

  /** A seccomp profile: {@code RuntimeDefault}, {@code Unconfined} or {@code Localhost} with a relative path. */
  public record SeccompV1(String type, String localhostProfile) {
    public static final String RUNTIME_DEFAULT = "RuntimeDefault";
    public static final String UNCONFINED = "Unconfined";
    public static final String LOCALHOST = "Localhost";

    void validate(String at) throws ProtocolException {
      Validation.require(type, at + ".type");
      switch (type) {
        case RUNTIME_DEFAULT, UNCONFINED -> {
          if (localhostProfile != null) {
            throw invalid(at + ".localhostProfile may only be set for type Localhost");
          }
        }
        case LOCALHOST -> VolumeV1.requireRelative(localhostProfile, at + ".localhostProfile");
        default -> throw invalid(at + ".type must be RuntimeDefault, Unconfined or Localhost, was '" + type + "'");
      }
    }
  }

  /** A namespaced kernel parameter set on the pod's sandbox. */
  public record SysctlV1(String name, String value) {
    void validate() throws ProtocolException {
      Validation.require(name, "pod.securityContext.sysctls[].name");
      if (name.length() > 253 || !SYSCTL.matcher(name).matches()) {
        throw invalid("sysctl name '" + name + "' is not a valid sysctl name");
      }
      if (value == null || value.length() > 4096 || value.contains("\0") || value.contains("\n")) {
        throw invalid("sysctl '" + name + "' needs a single-line value of at most 4096 characters");
      }
    }
  }

  private static void id(Long id, String field) throws ProtocolException {
    if (id != null && (id < 0 || id > MAX_ID)) {
      throw invalid(field + " must be between 0 and " + MAX_ID + ", was " + id);
    }
  }

  /** AppArmor: {@code RuntimeDefault} or {@code Unconfined} (a Localhost profile travels as unsupported). */
  private static void appArmor(String type, String field) throws ProtocolException {
    if (type != null && !Set.of(SeccompV1.RUNTIME_DEFAULT, SeccompV1.UNCONFINED).contains(type)) {
      throw invalid(field + " must be RuntimeDefault or Unconfined, was '" + type + "'");
    }
  }

  private static void size(List<?> list, String field) throws ProtocolException {
    if (list != null && list.size() > MAX_LIST) {
      throw invalid(field + " has " + list.size() + " entries, at most " + MAX_LIST + " are accepted");
    }
  }

  private static void capabilities(List<String> names, String field) throws ProtocolException {
    size(names, field);
    if (names != null) {
      for (String name : names) {
        if (name == null || !CAPABILITIES.contains(name)) {
          throw invalid(field + ": unknown capability '" + name + "'");
        }
      }
    }
  }

  private static void checkNames(List<String> names, String field) throws ProtocolException {
    size(names, field);
    if (names != null) {
      for (String name : names) {
        if (name == null || name.isBlank() || name.length() > 256) {
          throw invalid(field + " entries must be non-empty names of at most 256 characters");
        }
      }
    }
  }

  private static ProtocolException invalid(String message) {
    return new ProtocolException(ProtocolException.Reason.INVALID, message);
  }
}
