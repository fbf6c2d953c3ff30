package io.outpost.containers.impl;

import java.util.List;
import java.util.Map;

/**
 * The security part of a create request, in the Docker Engine API's terms: {@code User} ("uid[:gid]", null: the
 * image's), {@code GroupAdd}, {@code CapAdd}/{@code CapDrop} (names without {@code CAP_}, or {@code ALL}),
 * {@code Privileged}, {@code ReadonlyRootfs}, {@code SecurityOpt} (no-new-privileges, seccomp=…, apparmor=…),
 * {@code PidMode}, {@code IpcMode}, {@code UTSMode} (null: the engine's default, or for UTS the pod's sandbox) and
 * {@code Sysctls}. Null or empty lists set nothing.
 */
record EngineSecurity(String user, List<String> groupAdd, List<String> capAdd, List<String> capDrop,
    boolean privileged, boolean readOnlyRootfs, List<String> securityOpts, String pidMode, String ipcMode,
    String utsMode, Map<String, String> sysctls) {

  /** Nothing beyond the engine's defaults. */
  static final EngineSecurity NONE = new EngineSecurity(null, null, null, null, false, false, null, null, null,
      null, null);

  EngineSecurity {
    groupAdd = groupAdd == null ? List.of() : List.copyOf(groupAdd);
    capAdd = capAdd == null ? List.of() : List.copyOf(capAdd);
    capDrop = capDrop == null ? List.of() : List.copyOf(capDrop);
    securityOpts = securityOpts == null ? List.of() : List.copyOf(securityOpts);
    sysctls = sysctls == null ? Map.of() : Map.copyOf(sysctls);
  }
}
