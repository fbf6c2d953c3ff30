package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecurityV1.ContainerSecurityV1;
import io.outpost.protocol.SecurityV1.PodSecurityV1;
import io.outpost.protocol.SecurityV1.SeccompV1;
import io.outpost.protocol.SecurityV1.SysctlV1;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A container's effective security settings as the kubelet derives them ({@code securitycontext.
 * DetermineEffectiveSecurityContext}, {@code kuberuntime_container_linux.go}): the container's {@code runAsUser},
 * {@code runAsGroup}, {@code runAsNonRoot}, {@code seccompProfile} and {@code appArmorProfile} override the pod's;
 * {@code fsGroup} and {@code supplementalGroups} are added groups; no-new-privileges only when
 * {@code allowPrivilegeEscalation} is explicitly false; a container that names no seccomp profile gets the node's
 * default. Refusals follow the kubelet: {@code runAsNonRoot} that cannot be verified, and settings this node cannot
 * enforce, are {@link EnvResolver.ConfigError}s ({@code CreateContainerConfigError}); a Localhost seccomp profile
 * that cannot be loaded is a {@link RuntimeRefusal} ({@code CreateContainerError}, as the runtime reports it).
 */
final class SecurityContexts {
  private static final ContainerSecurityV1 NONE = new ContainerSecurityV1(null, null, null, null, null, null, null,
      null, null, null, null, null);

  private final NodeSecurity node;
  private final ContainerEngine engine;

  SecurityContexts(NodeSecurity node, ContainerEngine engine) {
    this.node = node;
    this.engine = engine;
  }

  /** A container the engine cannot create as asked (the runtime's {@code CreateContainerError}). */
  static final class RuntimeRefusal extends Exception {
    private static final long serialVersionUID = 1L;

    RuntimeRefusal(String message) {
      super(message);
    }
  }

  /**
   * The engine settings of one container of {@code pod}; {@code sandbox} the pod's infra container
   * ({@code container:<id>}) whose IPC namespace it shares, null for none. May ask the engine for the image's user.
   */
  EngineSecurity forContainer(ObjectRef ref, PodV1 pod, ContainerV1 spec, String sandbox)
      throws EnvResolver.ConfigError, RuntimeRefusal {
    PodSecurityV1 p = pod.security();
    ContainerSecurityV1 c = spec.securityContext() == null ? NONE : spec.securityContext();
    refuseUnsupported(p, c);
    boolean privileged = c.runsPrivileged();
    if (privileged && !node.allowPrivileged()) { // admitted before the node's switch was turned off
      throw new EnvResolver.ConfigError("pod with UID \"" + ref.uid() + "\" specified privileged container, but is "
          + "disallowed");
    }
    String user = user(ref, spec, p, c);
    List<String> groups = new ArrayList<>();
    if (p.fsGroup() != null) {
      groups.add(Long.toString(p.fsGroup()));
    }
    p.groups().forEach(g -> groups.add(Long.toString(g)));
    List<String> options = new ArrayList<>();
    if (!privileged && Boolean.FALSE.equals(c.allowPrivilegeEscalation())) {
      options.add("no-new-privileges");
    }
    if (!privileged) {
      SeccompV1 seccomp = c.seccompProfile() != null ? c.seccompProfile() : p.seccompProfile();
      String option = seccomp(seccomp);
      if (option != null) {
        options.add(option);
      }
    }
    String appArmor = c.appArmorProfile() != null ? c.appArmorProfile() : p.appArmorProfile();
    if (SeccompV1.UNCONFINED.equals(appArmor) && !privileged) {
      options.add("apparmor=unconfined");
    }
    String ipc = p.usesHostIPC() ? "host" : sandbox;
    return new EngineSecurity(user, groups, privileged ? null : c.capAdd(), privileged ? null : c.capDrop(),
        privileged, Boolean.TRUE.equals(c.readOnlyRootFilesystem()), options, p.usesHostPID() ? "host" : null, ipc,
        null, null);
  }

  /**
   * The settings of the pod's sandbox (infra container): the host's network (and with it its UTS namespace), PID
   * and IPC namespaces if the pod asks for them (admission has checked the node allows it), else an IPC namespace
   * its containers can join; the pod's sysctls.
   */
  static EngineSecurity forSandbox(PodV1 pod) {
    PodSecurityV1 p = pod.security();
    Map<String, String> sysctls = new LinkedHashMap<>();
    for (SysctlV1 sysctl : p.sysctlList()) {
      sysctls.put(NodeSecurity.normalise(sysctl.name()), sysctl.value());
    }
    return new EngineSecurity(null, null, null, null, false, false, null, p.usesHostPID() ? "host" : null,
        p.usesHostIPC() ? "host" : "shareable", p.usesHostNetwork() ? "host" : null, sysctls);
  }

  private static void refuseUnsupported(PodSecurityV1 p, ContainerSecurityV1 c) throws EnvResolver.ConfigError {
    List<String> unsupported = new ArrayList<>();
    if (p.unsupported() != null) {
      p.unsupported().forEach(u -> unsupported.add("pod " + u));
    }
    if (c.unsupported() != null) {
      unsupported.addAll(c.unsupported());
    }
    if ("Unmasked".equals(c.procMount())) {
      unsupported.add("securityContext.procMount: Unmasked");
    }
    if (!unsupported.isEmpty()) {
      throw new EnvResolver.ConfigError("unsupported security settings: " + String.join(", ", unsupported)
          + " (this node cannot enforce them)");
    }
  }

  /**
   * {@code uid[:gid]} for the engine, or null for the image's user; refuses as the kubelet's
   * {@code verifyRunAsNonRoot} does.
   */
  private String user(ObjectRef ref, ContainerV1 spec, PodSecurityV1 p, ContainerSecurityV1 c)
      throws EnvResolver.ConfigError {
    Long uid = c.runAsUser() != null ? c.runAsUser() : p.runAsUser();
    Long gid = c.runAsGroup() != null ? c.runAsGroup() : p.runAsGroup();
    boolean nonRoot = Boolean.TRUE.equals(c.runAsNonRoot() != null ? c.runAsNonRoot() : p.runAsNonRoot());
    String pod = "\"" + ref.name() + "_" + ref.namespace() + "(" + ref.uid() + ")\"";
    String imageUser = null;
    if (nonRoot) {
      if (uid != null && uid == 0) {
        throw new EnvResolver.ConfigError("container's runAsUser breaks non-root policy (pod: " + pod
            + ", container: " + spec.name() + ")");
      }
      if (uid == null) {
        imageUser = userPart(engine.imageUser(spec.image()));
        verifyImageUser(imageUser, pod, spec.name());
      }
    }
    if (uid != null) {
      return gid == null ? Long.toString(uid) : uid + ":" + gid;
    }
    if (gid == null) {
      return null;
    }
    String image = imageUser != null ? imageUser : userPart(engine.imageUser(spec.image()));
    return (image.isEmpty() ? "0" : image) + ":" + gid;
  }

  private static void verifyImageUser(String user, String pod, String container) throws EnvResolver.ConfigError {
    if (user.isEmpty() || user.matches("0+")) { // an image without a user runs as root (kubelet getImageUser)
      throw new EnvResolver.ConfigError("container has runAsNonRoot and image will run as root (pod: " + pod
          + ", container: " + container + ")");
    }
    if (!user.matches("[0-9]+")) {
      throw new EnvResolver.ConfigError("container has runAsNonRoot and image has non-numeric user (" + user
          + "), cannot verify user is non-root (pod: " + pod + ", container: " + container + ")");
    }
  }

  /** The user of an image's {@code Config.User} ({@code user[:group]}), empty if it sets none. */
  static String userPart(String configUser) {
    if (configUser == null) {
      return "";
    }
    int colon = configUser.indexOf(':');
    return (colon < 0 ? configUser : configUser.substring(0, colon)).trim();
  }

  /** The SecurityOpt for a seccomp profile (null: the engine's default profile). */
  private String seccomp(SeccompV1 profile) throws RuntimeRefusal {
    String type = profile != null ? profile.type()
        : node.seccompDefault() ? SeccompV1.RUNTIME_DEFAULT : SeccompV1.UNCONFINED;
    return switch (type) {
      case SeccompV1.RUNTIME_DEFAULT -> null;
      case SeccompV1.UNCONFINED -> "seccomp=unconfined";
      default -> "seccomp=" + localhost(profile.localhostProfile());
    };
  }

  /**
   * The real path of a Localhost profile under the node's seccomp directory; refused if it is missing or leads (a
   * symlink followed) outside the directory. Podman reads the profile from this path.
   */
  private String localhost(String relative) throws RuntimeRefusal {
    Path file = node.seccompDir().resolve(relative).normalize();
    String refusal = "cannot load seccomp profile \"" + file + "\": ";
    if (!file.startsWith(node.seccompDir())) {
      throw new RuntimeRefusal(refusal + "it is outside the node's seccomp profile directory");
    }
    try {
      Path real = file.toRealPath();
      Path root = node.seccompDir().toRealPath();
      if (!real.startsWith(root) || !Files.isRegularFile(real)) {
        throw new RuntimeRefusal(refusal + "it resolves to " + real + ", not a file in the node's seccomp "
            + "profile directory " + root);
      }
      return real.toString();
    } catch (IOException e) {
      throw new RuntimeRefusal(refusal + "open " + file + ": no such file or directory");
    }
  }
}
