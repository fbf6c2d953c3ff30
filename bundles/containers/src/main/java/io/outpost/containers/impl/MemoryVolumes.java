package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.VolumeV1;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code emptyDir} volumes with {@code medium: Memory}: one size-limited tmpfs per volume, shared by every container
 * of the pod that mounts it, as the kubelet mounts one. The engine makes it (a named volume of its {@code local}
 * driver with {@code type=tmpfs}), so the node needs no mount privilege of its own and the same works whether the
 * node runs as root or as the {@code outpost} user. The engine mounts such a volume while a container uses it and
 * unmounts it (its files gone) when the last one stops: the pod's infra container holds every memory volume of the
 * pod ({@link #holderMounts}), so that files survive container restarts as under a kubelet, and the volume goes
 * with the pod.
 *
 * <p>Its size is the kubelet's ({@code calculateEmptyDirMemorySize}): the node's allocatable memory, lowered to the
 * pod's memory limit (when every container has one) and to {@code sizeLimit}, whichever is smallest and positive.
 * Podman 4.3 takes a tmpfs {@code size=} option for a project-quota request and refuses it on filesystems without
 * project quotas, so the size is given as {@code nr_blocks} (pages of {@link #pageSize()} bytes, rounded up).
 */
final class MemoryVolumes {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryVolumes.class);
  /** Where the infra container mounts the pod's memory volumes, to hold them. */
  static final String HOLDER_DIR = "/.outpost-memory-volumes/";
  private static final long DEFAULT_PAGE = 4096;

  private final ContainerEngine engine;
  private final String node;
  private final Supplier<Map<String, String>> allocatable;
  private final long pageSize;

  MemoryVolumes(ContainerEngine engine, String node, Supplier<Map<String, String>> allocatable) {
    this.engine = engine;
    this.node = node;
    this.allocatable = allocatable;
    this.pageSize = pageSize();
  }

  /** The engine volume's name for a memory emptyDir of the pod (valid as an engine volume name). */
  static String name(ObjectRef ref, VolumeV1 volume) {
    return "outpost-" + Naming.sanitise(ref.uid()) + "-" + Naming.sanitise(volume.name());
  }

  /** Creates the pod's tmpfs for {@code volume} unless it exists; returns its engine name. */
  String ensure(ObjectRef ref, PodV1 pod, VolumeV1 volume) throws EnvResolver.ConfigError {
    String name = name(ref, volume);
    Long size = size(pod, volume.emptyDir(), allocatableMemory());
    Map<String, String> options = new LinkedHashMap<>();
    options.put("type", "tmpfs");
    options.put("device", "tmpfs");
    // The kubelet's emptyDir is world-writable (0777) like its disk-backed one.
    options.put("o", (size == null ? "" : "nr_blocks=" + Math.max(1, (size + pageSize - 1) / pageSize) + ",")
        + "mode=0777");
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Naming.MANAGED, "true");
    labels.put(Naming.NODE, node);
    labels.put(Naming.POD_UID, ref.uid());
    try {
      engine.createVolume(name, options, labels);
    } catch (EngineException e) {
      throw new EnvResolver.ConfigError("volume \"" + volume.name() + "\": cannot create its tmpfs: "
          + e.getMessage());
    }
    return name;
  }

  /** The pod's memory volumes as the infra container mounts them (creating them first); empty if none. */
  List<Volumes.Mount> holderMounts(ObjectRef ref, PodV1 pod) throws EnvResolver.ConfigError {
    List<Volumes.Mount> mounts = new ArrayList<>();
    for (VolumeV1 volume : pod.volumes() == null ? List.<VolumeV1>of() : pod.volumes()) {
      if (volume.emptyDir() != null && volume.emptyDir().memory()) {
        mounts.add(new Volumes.Mount(ensure(ref, pod, volume), HOLDER_DIR + Naming.sanitise(volume.name()), true));
      }
    }
    return mounts;
  }

  /** Removes the pod's memory volumes (after its containers: the engine keeps a volume a container uses). */
  void remove(String uid) {
    try {
      engine.volumes(node).forEach((name, owner) -> {
        if (uid.equals(owner)) {
          engine.removeVolume(name);
          LOG.info("Removed memory volume {} of pod uid {}", name, uid);
        }
      });
    } catch (EngineException e) {
      LOG.warn("Removing the memory volumes of pod uid {} failed: {}", uid, e.getMessage());
    }
  }

  /** Removes the memory volumes of pods not in {@code desired} (left by a node that stopped while removing one). */
  void removeOrphans(Set<String> desired) {
    try {
      engine.volumes(node).forEach((name, owner) -> {
        if (owner != null && !desired.contains(owner)) {
          try {
            engine.removeVolume(name);
            LOG.info("Removed memory volume {} of pod uid {}, which this node no longer runs", name, owner);
          } catch (EngineException e) {
            LOG.warn("Removing memory volume {} failed: {}", name, e.getMessage());
          }
        }
      });
    } catch (EngineException e) {
      LOG.warn("Listing this node's memory volumes failed: {}", e.getMessage());
    }
  }

  /**
   * The tmpfs size in bytes: allocatable memory, lowered to the pod's memory limit and to {@code sizeLimit} (each if
   * positive and smaller); null if none of them is known (the engine's default tmpfs size, half the host's memory).
   */
  static Long size(PodV1 pod, VolumeV1.EmptyDirV1 emptyDir, Long allocatableMemory) {
    Long size = allocatableMemory != null && allocatableMemory > 0 ? allocatableMemory : null;
    Long podLimit = podMemoryLimit(pod);
    if (podLimit != null && podLimit > 0 && (size == null || podLimit < size)) {
      size = podLimit;
    }
    Long limit = emptyDir.sizeLimitBytes();
    if (limit != null && limit > 0 && (size == null || limit < size)) {
      size = limit;
    }
    return size;
  }

  /**
   * The pod's memory limit as its cgroup gets it ({@code ResourceConfigForPod}): the sum over its containers, at
   * least its largest init container's, and only if every container has one; else null.
   */
  static Long podMemoryLimit(PodV1 pod) {
    long sum = 0;
    for (ContainerV1 container : pod.containers()) {
      Long limit = limit(container);
      if (limit == null) {
        return null;
      }
      sum += limit;
    }
    for (ContainerV1 container : pod.initContainers() == null ? List.<ContainerV1>of() : pod.initContainers()) {
      Long limit = limit(container);
      if (limit == null) {
        return null;
      }
      sum = Math.max(sum, limit);
    }
    return sum;
  }

  private static Long limit(ContainerV1 container) {
    Long limit = container.resources() == null ? null : container.resources().memoryLimitBytes();
    return limit == null || limit <= 0 ? null : limit;
  }

  /** The node's allocatable resources (null when unknown), for the downward API's unset limits too. */
  Map<String, String> allocatable() {
    return allocatable.get();
  }

  private Long allocatableMemory() {
    Map<String, String> resources = allocatable.get();
    return resources == null ? null : PodAdmission.amount(resources.get("memory"), 0);
  }

  /** The kernel's page size (the unit of tmpfs {@code nr_blocks}), from this process's first mapping. */
  static long pageSize() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/smaps"))) {
      return lines.filter(l -> l.startsWith("KernelPageSize:")).findFirst()
          .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024).orElse(DEFAULT_PAGE);
    } catch (IOException | RuntimeException e) {
      LOG.debug("Page size not readable, assuming {}: {}", DEFAULT_PAGE, e.getMessage());
      return DEFAULT_PAGE;
    }
  }
}
