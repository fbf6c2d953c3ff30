package io.outpost.bridge.downstream.contract;

/**
 * The contract's rules for {@code spec.securityContext} and {@code containers[].securityContext}: the bridge carries
 * them field by field and the node's security admission honours or refuses them (docs/operations.md, "Pod
 * security"); the rules say which, so that a field a newer model adds is classified too.
 */
final class SecurityRules {
  private static final String POD = "spec.securityContext";
  private static final String CONTAINER = ContainerRules.C + ".securityContext";

  private SecurityRules() {}

  static void add(Rules r) {
    r.security(POD, Verdict.HONOURED, "Defaults for every container, and the pod's own settings.");
    common(r, POD);
    r.security(POD + ".supplementalGroups[]", Verdict.HONOURED, "Added to every container's groups.")
        .security(POD + ".supplementalGroupsPolicy", Verdict.HONOURED, "Merge (the image's groups are kept).",
            "Strict")
        .security(POD + ".fsGroup", Verdict.HONOURED, "Owns the pod's volumes; added to every container's groups.")
        .security(POD + ".fsGroupChangePolicy", Verdict.HONOURED, "OnRootMismatch or Always.")
        .security(POD + ".sysctls[]", Verdict.HONOURED, "Namespaced sysctls.",
            "an unsafe sysctl the node does not allow (SysctlForbidden)")
        .security(POD + ".sysctls[].name", Verdict.HONOURED, "The sysctl.")
        .security(POD + ".sysctls[].value", Verdict.HONOURED, "Its value.")
        .securitySubtree(POD + ".seLinuxChangePolicy", Verdict.REFUSED, "SELinux is not enforced on edge nodes.");
    r.security(CONTAINER, Verdict.HONOURED, "Overrides the pod's settings for this container.");
    common(r, CONTAINER);
    r.security(CONTAINER + ".capabilities", Verdict.HONOURED, "Linux capabilities.")
        .security(CONTAINER + ".capabilities.add[]", Verdict.HONOURED, "Added.",
            "a name that is no Linux capability")
        .security(CONTAINER + ".capabilities.drop[]", Verdict.HONOURED, "Dropped.")
        .security(CONTAINER + ".privileged", Verdict.HONOURED, "A privileged container.",
            "true on a node without allow.privileged (CapabilitiesForbidden)")
        .security(CONTAINER + ".allowPrivilegeEscalation", Verdict.HONOURED, "no_new_privs.")
        .security(CONTAINER + ".readOnlyRootFilesystem", Verdict.HONOURED, "A read-only root filesystem.")
        .security(CONTAINER + ".procMount", Verdict.HONOURED, "Default or Unmasked.",
            "another value");
  }

  /** The fields both security contexts have. */
  private static void common(Rules r, String at) {
    r.security(at + ".runAsUser", Verdict.HONOURED, "The user id.")
        .security(at + ".runAsGroup", Verdict.HONOURED, "The group id.")
        .security(at + ".runAsNonRoot", Verdict.HONOURED, "Checked against the image's user.")
        .security(at + ".seccompProfile", Verdict.HONOURED, "RuntimeDefault, Unconfined or a Localhost profile.")
        .security(at + ".seccompProfile.type", Verdict.HONOURED, "The profile's type.")
        .security(at + ".seccompProfile.localhostProfile", Verdict.HONOURED, "A profile file on the node.")
        .security(at + ".appArmorProfile", Verdict.HONOURED, "RuntimeDefault or Unconfined.")
        .security(at + ".appArmorProfile.type", Verdict.HONOURED, "The profile's type.", "Localhost")
        .security(at + ".appArmorProfile.localhostProfile", Verdict.REFUSED, "Localhost AppArmor profiles are not"
            + " loaded on edge nodes.")
        .securitySubtree(at + ".seLinuxOptions", Verdict.REFUSED, "SELinux is not enforced on edge nodes.")
        .securitySubtree(at + ".windowsOptions", Verdict.REFUSED, "Edge nodes run linux only.");
  }
}
