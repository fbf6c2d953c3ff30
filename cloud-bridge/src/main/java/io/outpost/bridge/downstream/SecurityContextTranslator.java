package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.AppArmorProfile;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.outpost.protocol.SecurityV1;
import io.outpost.protocol.SecurityV1.ContainerSecurityV1;
import io.outpost.protocol.SecurityV1.PodSecurityV1;
import io.outpost.protocol.SecurityV1.SeccompV1;
import io.outpost.protocol.SecurityV1.SysctlV1;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Translates a pod's security settings ({@code spec.securityContext}, {@code spec.hostNetwork/hostPID/hostIPC/
 * hostUsers}, {@code containers[].securityContext}) into {@link SecurityV1}. Nothing is dropped: what the edge honours
 * is carried field by field; what it cannot honour (SELinux, Windows options, a Localhost AppArmor profile, user
 * namespaces, a strict supplemental-groups policy, an unknown capability, a field this bridge does not know) is
 * carried by name in {@code unsupported}, and the edge refuses the pod with a reason naming it.
 */
final class SecurityContextTranslator {
  private SecurityContextTranslator() {}

  /** The pod-level settings, or null if the pod sets none (so that such a pod encodes as before). */
  static PodSecurityV1 pod(PodSpec spec) {
    PodSecurityContext sc = spec.getSecurityContext();
    List<String> unsupported = new ArrayList<>();
    if (Boolean.FALSE.equals(spec.getHostUsers())) {
      unsupported.add("hostUsers: false (user namespaces)");
    }
    if (sc == null) {
      return hostOnly(spec, unsupported);
    }
    if (sc.getSeLinuxOptions() != null) {
      unsupported.add("securityContext.seLinuxOptions");
    }
    if (sc.getSeLinuxChangePolicy() != null) {
      unsupported.add("securityContext.seLinuxChangePolicy");
    }
    if (sc.getWindowsOptions() != null) {
      unsupported.add("securityContext.windowsOptions");
    }
    if ("Strict".equals(sc.getSupplementalGroupsPolicy())) {
      unsupported.add("securityContext.supplementalGroupsPolicy: Strict");
    }
    String appArmor = appArmor(sc.getAppArmorProfile(), "securityContext", unsupported);
    unknownFields(sc.getAdditionalProperties(), "securityContext", unsupported);
    List<Long> groups = sc.getSupplementalGroups() == null || sc.getSupplementalGroups().isEmpty() ? null
        : List.copyOf(sc.getSupplementalGroups());
    List<SysctlV1> sysctls = sc.getSysctls() == null || sc.getSysctls().isEmpty() ? null
        : sc.getSysctls().stream().map(s -> new SysctlV1(s.getName(), s.getValue() == null ? "" : s.getValue()))
            .toList();
    PodSecurityV1 result = new PodSecurityV1(sc.getRunAsUser(), sc.getRunAsGroup(), sc.getRunAsNonRoot(), groups,
        sc.getFsGroup(), sc.getFsGroupChangePolicy(), sysctls, seccomp(sc.getSeccompProfile()),
        onlyTrue(spec.getHostNetwork()), onlyTrue(spec.getHostPID()), onlyTrue(spec.getHostIPC()), appArmor,
        unsupported.isEmpty() ? null : List.copyOf(unsupported));
    return isEmpty(result) ? null : result;
  }

  private static PodSecurityV1 hostOnly(PodSpec spec, List<String> unsupported) {
    PodSecurityV1 result = new PodSecurityV1(null, null, null, null, null, null, null, null,
        onlyTrue(spec.getHostNetwork()), onlyTrue(spec.getHostPID()), onlyTrue(spec.getHostIPC()), null,
        unsupported.isEmpty() ? null : List.copyOf(unsupported));
    return isEmpty(result) ? null : result;
  }

  private static boolean isEmpty(PodSecurityV1 security) {
    return security.equals(new PodSecurityV1(null, null, null, null, null, null, null, null, null, null, null, null,
        null));
  }

  /** A container's settings, or null if it sets none. */
  static ContainerSecurityV1 container(Container container) {
    SecurityContext sc = container.getSecurityContext();
    if (sc == null) {
      return null;
    }
    List<String> unsupported = new ArrayList<>();
    if (sc.getSeLinuxOptions() != null) {
      unsupported.add("securityContext.seLinuxOptions");
    }
    if (sc.getWindowsOptions() != null) {
      unsupported.add("securityContext.windowsOptions");
    }
    String appArmor = appArmor(sc.getAppArmorProfile(), "securityContext", unsupported);
    unknownFields(sc.getAdditionalProperties(), "securityContext", unsupported);
    Capabilities caps = sc.getCapabilities();
    List<String> add = caps == null ? null : capabilities(caps.getAdd(), "add", unsupported);
    List<String> drop = caps == null ? null : capabilities(caps.getDrop(), "drop", unsupported);
    if (caps != null) {
      unknownFields(caps.getAdditionalProperties(), "securityContext.capabilities", unsupported);
    }
    String procMount = sc.getProcMount() == null || sc.getProcMount().isEmpty() ? null : sc.getProcMount();
    if (procMount != null && !"Default".equals(procMount) && !"Unmasked".equals(procMount)) {
      unsupported.add("securityContext.procMount: " + procMount);
      procMount = null;
    }
    ContainerSecurityV1 result = new ContainerSecurityV1(sc.getRunAsUser(), sc.getRunAsGroup(),
        sc.getRunAsNonRoot(), add, drop, sc.getAllowPrivilegeEscalation(), onlyTrue(sc.getReadOnlyRootFilesystem()),
        onlyTrue(sc.getPrivileged()), seccomp(sc.getSeccompProfile()), procMount, appArmor,
        unsupported.isEmpty() ? null : List.copyOf(unsupported));
    return result.equals(new ContainerSecurityV1(null, null, null, null, null, null, null, null, null, null, null,
        null)) ? null : result;
  }

  /**
   * Capability names as the edge expects them: upper case without {@code CAP_} (the container runtimes accept both
   * spellings); a name that is no Linux capability is unsupported, not sent.
   */
  private static List<String> capabilities(List<String> names, String field, List<String> unsupported) {
    if (names == null || names.isEmpty()) {
      return null;
    }
    List<String> result = new ArrayList<>();
    for (String name : names) {
      String normal = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
      normal = normal.startsWith("CAP_") ? normal.substring(4) : normal;
      if (SecurityV1.CAPABILITIES.contains(normal)) {
        if (!result.contains(normal)) {
          result.add(normal);
        }
      } else {
        unsupported.add("securityContext.capabilities." + field + ": unknown capability \"" + name + "\"");
      }
    }
    return result.isEmpty() ? null : List.copyOf(result);
  }

  private static SeccompV1 seccomp(SeccompProfile profile) {
    if (profile == null || profile.getType() == null) {
      return null;
    }
    String path = profile.getLocalhostProfile();
    return new SeccompV1(profile.getType(), SeccompV1.LOCALHOST.equals(profile.getType()) ? path : null);
  }

  private static String appArmor(AppArmorProfile profile, String at, List<String> unsupported) {
    if (profile == null || profile.getType() == null) {
      return null;
    }
    if (SeccompV1.RUNTIME_DEFAULT.equals(profile.getType()) || SeccompV1.UNCONFINED.equals(profile.getType())) {
      return profile.getType();
    }
    unsupported.add(at + ".appArmorProfile: " + profile.getType()
        + (profile.getLocalhostProfile() == null ? "" : " " + profile.getLocalhostProfile()));
    return null;
  }

  /** Fields of a newer Kubernetes that this bridge does not know: the edge refuses rather than ignore them. */
  private static void unknownFields(Map<String, Object> extra, String at, List<String> unsupported) {
    if (extra != null) {
      extra.keySet().stream().sorted().forEach(key -> unsupported.add(at + "." + key));
    }
  }

  private static Boolean onlyTrue(Boolean value) {
    return Boolean.TRUE.equals(value) ? Boolean.TRUE : null;
  }
}
