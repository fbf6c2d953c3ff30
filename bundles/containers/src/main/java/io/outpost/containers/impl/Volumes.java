package io.outpost.containers.impl;

import io.outpost.containers.impl.AtomicDirectory.FileContent;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecretV1;
import io.outpost.protocol.VolumeV1;
import io.outpost.protocol.VolumeV1.KeyedSourceV1;
import io.outpost.store.DesiredState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod volumes on the node, under {@code <volumes.dir>/<pod uid>/}: emptyDir directories (a {@code medium: Memory}
 * emptyDir is a tmpfs of the engine instead, {@link MemoryVolumes}; other media are refused), ConfigMap, Secret,
 * downwardAPI ({@link DownwardApiFiles}) and projected volumes as atomically replaced file sets mounted read-only
 * (updates, a pod's new labels too, reach running containers, as with the kubelet), and hostPath directories within
 * the configured allow-list. Every path that comes from Kubernetes (items, subPath, expanded subPathExpr, hostPath) is
 * checked, symlinks followed, to stay inside its volume or the allow-list, at every container start; nothing a
 * container can write is followed when the node writes or removes a volume.
 */
final class Volumes {
  private static final Logger LOG = LoggerFactory.getLogger(Volumes.class);
  static final int DEFAULT_MODE = 0644;

  /** One bind mount for the engine. */
  record Mount(String source, String target, boolean readOnly) {}

  private final DesiredState store;
  private final Path root;
  private final HostPaths hostPaths;
  private final MemoryVolumes memory;
  private final ServiceAccountTokenFiles tokens;
  private final DownwardApiFiles downward;

  Volumes(DesiredState store, Path root, List<Path> hostPathAllow, MemoryVolumes memory) {
    this.store = store;
    this.tokens = new ServiceAccountTokenFiles(store);
    this.root = root;
    this.hostPaths = new HostPaths(hostPathAllow);
    this.memory = memory;
    this.downward = new DownwardApiFiles(memory::allocatable);
  }

  /** The pod's memory-backed emptyDirs (tmpfs volumes of the engine). */
  MemoryVolumes memory() {
    return memory;
  }

  /** The directory holding the pod's disk-backed emptyDirs, one entry each ({@link #emptyDirName}). */
  Path emptyDirs(String uid) {
    return root.resolve(uid).resolve("empty");
  }

  static String emptyDirName(VolumeV1 volume) {
    return Naming.sanitise(volume.name());
  }

  /**
   * Prepares the pod's volumes (idempotent) and returns the container's mounts. Called before every start and
   * restart of a container, not only when it is created: the engine resolves each bind source again whenever it
   * starts the container, so subPath and hostPath sources are checked again each time (a pod may have swapped a
   * component for a symlink since). ConfigMap, Secret and projected volumes are always read-only, as under a
   * kubelet, whatever the mount says.
   */
  List<Mount> mounts(ObjectRef ref, PodV1 pod, ContainerV1 container) throws EnvResolver.ConfigError {
    return mounts(ref, pod, container, Map.of());
  }

  /**
   * As {@link #mounts(ObjectRef, PodV1, ContainerV1)}, {@code expanded} holding the subPath of each mount with a
   * {@code subPathExpr} by its index ({@link SubPathExpressions}); such a mount without one is the whole volume.
   */
  List<Mount> mounts(ObjectRef ref, PodV1 pod, ContainerV1 container, Map<Integer, String> expanded)
      throws EnvResolver.ConfigError {
    if (container.mounts().isEmpty()) {
      return List.of();
    }
    Map<String, Path> dirs = prepare(ref, pod);
    List<Mount> mounts = new ArrayList<>();
    for (int index = 0; index < container.mounts().size(); index++) {
      VolumeV1.VolumeMountV1 mount = container.mounts().get(index);
      String subPathOf = mount.subPathExpr() != null && !mount.subPathExpr().isEmpty()
          ? expanded.getOrDefault(index, "") : mount.subPath();
      Path dir = dirs.get(mount.name());
      if (dir == null) {
        throw new EnvResolver.ConfigError("volume \"" + mount.name() + "\" not found in the pod");
      }
      VolumeV1 volume = volume(pod, mount.name());
      if (volume.emptyDir() != null && volume.emptyDir().memory()) {
        if (subPathOf != null && !subPathOf.isEmpty()) {
          // The node cannot see into the engine's tmpfs to check a subPath (API 1.41 binds no volume subpath).
          throw new EnvResolver.ConfigError("subPath is not supported on edge nodes for emptyDir volumes with "
              + "medium Memory (volumeMount \"" + mount.name() + "\" of container \"" + container.name() + "\")");
        }
        mounts.add(new Mount(memory.ensure(ref, pod, volume), mount.mountPath(), mount.readOnlyMount()));
        continue;
      }
      Path source = dir;
      if (subPathOf != null && !subPathOf.isEmpty()) {
        try {
          source = subPath(dir, subPathOf, volume.emptyDir() != null);
        } catch (SafePaths.OutsideException e) {
          // As the kubelet: no detail about the host's filesystem for the pod, the detail in the node's log.
          LOG.warn("Pod {} container {}: subPath {} of volume {} {}, outside its volume", ref.key(), container.name(),
              subPathOf, mount.name(), e.getMessage());
          throw new EnvResolver.ConfigError("failed to prepare subPath for volumeMount \"" + mount.name()
              + "\" of container \"" + container.name() + "\"");
        }
      }
      mounts.add(new Mount(source.toString(), mount.mountPath(), mount.readOnlyMount() || isData(volume)));
    }
    return mounts;
  }

  /** Brings the ConfigMap, Secret and projected volumes of a running pod up to date; a missing source keeps the
   *  files it had. */
  void refresh(ObjectRef ref, PodV1 pod) {
    if (pod.volumes() == null) {
      return;
    }
    for (VolumeV1 volume : pod.volumes()) {
      if (isData(volume)) {
        try {
          if (AtomicDirectory.write(dataDir(ref, volume), files(ref, pod, volume))) {
            LOG.info("Updated volume {} of pod {}", volume.name(), ref.key());
          }
        } catch (EnvResolver.ConfigError e) {
          LOG.debug("Volume {} of pod {} not updated: {}", volume.name(), ref.key(), e.getMessage());
        } catch (IOException e) {
          LOG.warn("Volume {} of pod {} not updated: {}", volume.name(), ref.key(), e.getMessage());
        }
      }
    }
  }

  /**
   * Removes everything the pod had on the node (its emptyDirs, memory volumes and data volumes; never a hostPath).
   * Called once its containers are gone.
   */
  void remove(String uid) {
    try {
      Trees.delete(root.resolve(uid));
      EtcHosts.remove(root, uid);
      ResolvConf.remove(root, uid);
    } catch (IOException e) {
      LOG.warn("Removing the volumes of pod uid {} failed: {}", uid, e.getMessage());
    }
    memory.remove(uid);
  }

  private Map<String, Path> prepare(ObjectRef ref, PodV1 pod) throws EnvResolver.ConfigError {
    Map<String, Path> dirs = new LinkedHashMap<>();
    if (pod.volumes() == null) {
      return dirs;
    }
    for (VolumeV1 volume : pod.volumes()) {
      try {
        dirs.put(volume.name(), prepare(ref, pod, volume));
      } catch (IOException e) {
        throw new EnvResolver.ConfigError("volume \"" + volume.name() + "\": " + e.getMessage());
      }
    }
    return dirs;
  }

  private Path prepare(ObjectRef ref, PodV1 pod, VolumeV1 volume) throws EnvResolver.ConfigError, IOException {
    String name = volume.name();
    if (volume.unsupported() != null) {
      throw new EnvResolver.ConfigError("volume \"" + name + "\": " + volume.unsupported()
          + " volumes are not supported on edge nodes");
    }
    if (volume.emptyDir() != null) {
      String medium = volume.emptyDir().medium();
      if (volume.emptyDir().memory()) {
        return root.resolve(ref.uid()); // a tmpfs of the engine's (mounts() names it), no directory of the node
      }
      if (medium != null && !medium.isEmpty()) {
        throw new EnvResolver.ConfigError("volume \"" + name + "\": emptyDir medium \"" + medium
            + "\" is not supported on edge nodes (only the default and Memory)");
      }
      Path dir = emptyDirs(ref.uid()).resolve(emptyDirName(volume));
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
      }
      return dir;
    }
    if (volume.hostPath() != null) {
      return hostPaths.resolve(name, volume.hostPath());
    }
    Path dir = dataDir(ref, volume);
    AtomicDirectory.write(dir, files(ref, pod, volume));
    return dir;
  }

  private Path dataDir(ObjectRef ref, VolumeV1 volume) {
    return root.resolve(ref.uid()).resolve("data").resolve(Naming.sanitise(volume.name()));
  }

  /**
   * A subPath inside a volume, as the engine will bind it ({@code dir/subPath}); it must lead, every symlink followed,
   * to something inside the volume. Missing directories are created for emptyDirs, never through a symlink that
   * leaves the volume.
   */
  private static Path subPath(Path dir, String subPath, boolean create) throws EnvResolver.ConfigError,
      SafePaths.OutsideException {
    Path relative = Path.of(subPath).normalize();
    try {
      Path base = dir.toRealPath();
      if (create) {
        SafePaths.createDirectories(base, relative, path -> path.startsWith(base));
      } else {
        SafePaths.require(base.resolve(relative).toRealPath(), path -> path.startsWith(base));
      }
      return dir.resolve(relative);
    } catch (SafePaths.OutsideException e) {
      throw e;
    } catch (IOException e) {
      throw new EnvResolver.ConfigError("subPath " + subPath + " does not exist in its volume");
    }
  }

  private static VolumeV1 volume(PodV1 pod, String name) {
    return pod.volumes().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
  }

  /** ConfigMap, Secret, downwardAPI and projected volumes: files the node writes, read-only for every container. */
  private static boolean isData(VolumeV1 volume) {
    return volume.configMap() != null || volume.secret() != null || volume.projected() != null
        || volume.downwardAPI() != null;
  }

  private Map<String, FileContent> files(ObjectRef ref, PodV1 pod, VolumeV1 volume) throws EnvResolver.ConfigError {
    String namespace = ref.namespace();
    Map<String, FileContent> files = new LinkedHashMap<>();
    if (volume.configMap() != null) {
      add(files, namespace, volume.configMap(), false, volume.configMap().defaultMode());
    } else if (volume.secret() != null) {
      add(files, namespace, volume.secret(), true, volume.secret().defaultMode());
    } else if (volume.downwardAPI() != null) {
      downward.add(files, ref, pod, volume.downwardAPI(), volume.downwardAPI().defaultMode());
    } else if (volume.projected() != null && volume.projected().sources() != null) {
      for (VolumeV1.ProjectionV1 source : volume.projected().sources()) {
        if (source.serviceAccountToken() != null) {
          VolumeV1.ServiceAccountTokenV1 token = source.serviceAccountToken();
          files.put(token.path(), tokens.file(ref, pod, volume, token));
          continue;
        }
        if (source.downwardAPI() != null) {
          downward.add(files, ref, pod, source.downwardAPI(), volume.projected().defaultMode());
          continue;
        }
        boolean secret = source.secret() != null;
        add(files, namespace, secret ? source.secret() : source.configMap(), secret,
            volume.projected().defaultMode());
      }
    }
    return files;
  }

  private void add(Map<String, FileContent> files, String namespace, KeyedSourceV1 source, boolean secret,
      Integer defaultMode) throws EnvResolver.ConfigError {
    Map<String, byte[]> keys = secret ? secretKeys(namespace, source.name()) : configMapKeys(namespace, source.name());
    if (keys == null) {
      if (source.canBeMissing()) {
        return;
      }
      throw new EnvResolver.ConfigError((secret ? "secret" : "configmap") + " \"" + source.name() + "\" not found");
    }
    int mode = defaultMode == null ? DEFAULT_MODE : defaultMode;
    if (source.items() == null) {
      keys.forEach((key, bytes) -> files.put(key, new FileContent(bytes, mode)));
      return;
    }
    for (VolumeV1.KeyToPathV1 item : source.items()) {
      byte[] bytes = keys.get(item.key());
      if (bytes == null) {
        if (source.canBeMissing()) {
          continue;
        }
        throw new EnvResolver.ConfigError("couldn't find key " + item.key() + " in " + (secret ? "Secret "
            : "ConfigMap ") + namespace + "/" + source.name());
      }
      files.put(item.path(), new FileContent(bytes, item.mode() == null ? mode : item.mode()));
    }
  }

  private Map<String, byte[]> configMapKeys(String namespace, String name) {
    Optional<ConfigMapV1> configMap = store.configMap(namespace, name);
    if (configMap.isEmpty()) {
      return null;
    }
    Map<String, byte[]> keys = new LinkedHashMap<>();
    if (configMap.get().data() != null) {
      configMap.get().data().forEach((k, v) -> keys.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    if (configMap.get().binaryData() != null) {
      configMap.get().binaryData().forEach((k, v) -> keys.put(k, Base64.getDecoder().decode(v)));
    }
    return keys;
  }

  private Map<String, byte[]> secretKeys(String namespace, String name) {
    Optional<SecretV1> secret = store.secret(namespace, name);
    if (secret.isEmpty()) {
      return null;
    }
    Map<String, byte[]> keys = new LinkedHashMap<>();
    if (secret.get().data() != null) {
      secret.get().data().forEach((k, v) -> keys.put(k, Base64.getDecoder().decode(v)));
    }
    return keys;
  }
}
