package io.outpost.containers.impl;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** The validated configuration of the container manager. */
record Settings(String nodeName, String engineHost, Duration resyncInterval, int podWorkers, String infraImage,
    List<String> infraCommand, Path volumesDir, List<Path> hostPathAllow, long logMaxBytes, String clusterDomain,
    NodeSecurity security,
    Storage storage, Path resolvConf) {
  /** A container's log is truncated at this size unless configured otherwise ({@code container.log.max.mb}). */
  static final long DEFAULT_LOG_MAX_BYTES = 10L * 1024 * 1024;

  /** The kubelet's usual {@code clusterDomain}. */
  static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";

  /** The node's resolver configuration, the base of pods' /etc/resolv.conf (the kubelet's --resolv-conf default). */
  static final Path DEFAULT_RESOLV_CONF = Path.of("/etc/resolv.conf");

  /** The kubelet's own default sandbox image. */
  static final String DEFAULT_INFRA_IMAGE = "registry.k8s.io/pause:3.10";

  /**
   * How pods' ephemeral storage is watched: every {@code checkInterval} (the kubelet's eviction manager looks every
   * 10 s), each walk of a pod's volume looking at {@code walkMaxEntries} files and directories at most; {@code nodefs}
   * the {@code nodefs.available} hard eviction threshold, or null for none (no eviction for disk pressure).
   */
  record Storage(Duration checkInterval, int walkMaxEntries, NodefsPressure nodefs) {
    /** Without a nodefs threshold: what tests and the short constructor get. */
    static final Storage DEFAULT = new Storage(Duration.ofSeconds(10), 1_000_000, null);
    /** The kubelet's Linux default, also the sync's (its {@code eviction.hard}). */
    static final String DEFAULT_EVICTION_HARD = "memory.available<100Mi,nodefs.available<10%,imagefs.available<15%";

    Storage {
      if (checkInterval == null || checkInterval.isNegative() || checkInterval.isZero()) {
        throw new IllegalArgumentException("emptydir.check.interval.seconds must be positive, got "
            + checkInterval);
      }
      if (walkMaxEntries < 1) {
        throw new IllegalArgumentException("emptydir.walk.max.entries must be positive, got " + walkMaxEntries);
      }
    }
  }

  Settings(String nodeName, String engineHost, Duration resyncInterval) {
    this(nodeName, engineHost, resyncInterval, 4, DEFAULT_INFRA_IMAGE, List.of(), defaultVolumesDir(), List.of(),
        DEFAULT_LOG_MAX_BYTES, DEFAULT_CLUSTER_DOMAIN, NodeSecurity.DEFAULT, Storage.DEFAULT, DEFAULT_RESOLV_CONF);
  }

  /** Settings with the given emptyDir watch. */
  Settings withStorage(Storage value) {
    return new Settings(nodeName, engineHost, resyncInterval, podWorkers, infraImage, infraCommand, volumesDir,
        hostPathAllow, logMaxBytes, clusterDomain, security, value, resolvConf);
  }

  /** Settings with the given infra container image and command. */
  Settings withInfra(String image, List<String> command) {
    return new Settings(nodeName, engineHost, resyncInterval, podWorkers, image, command, volumesDir,
        hostPathAllow, logMaxBytes, clusterDomain, security, storage, resolvConf);
  }

  /** Settings with the given volume directory and hostPath allow-list. */
  Settings withVolumes(Path dir, List<Path> allow) {
    return new Settings(nodeName, engineHost, resyncInterval, podWorkers, infraImage, infraCommand, dir, allow,
        logMaxBytes, clusterDomain, security, storage, resolvConf);
  }

  /** Settings with the given cluster domain. */
  Settings withClusterDomain(String domain) {
    return new Settings(nodeName, engineHost, resyncInterval, podWorkers, infraImage, infraCommand, volumesDir,
        hostPathAllow, logMaxBytes, domain, security, storage, resolvConf);
  }

  /** Settings with the given security policy. */
  Settings withSecurity(NodeSecurity policy) {
    return new Settings(nodeName, engineHost, resyncInterval, podWorkers, infraImage, infraCommand, volumesDir,
        hostPathAllow, logMaxBytes, clusterDomain, policy, storage, resolvConf);
  }

  /** Settings with the given node resolv.conf. */
  Settings withResolvConf(Path file) {
    return new Settings(nodeName, engineHost, resyncInterval, podWorkers, infraImage, infraCommand, volumesDir,
        hostPathAllow, logMaxBytes, clusterDomain, security, storage, file);
  }

  /** {@code ${karaf.data}/outpost/volumes} (the temporary directory outside Karaf). */
  static Path defaultVolumesDir() {
    return Path.of(System.getProperty("karaf.data", System.getProperty("java.io.tmpdir")), "outpost", "volumes");
  }

  Settings {
    require(nodeName, "node.name");
    require(engineHost, "engine.host");
    if (resyncInterval == null || resyncInterval.isNegative() || resyncInterval.isZero()) {
      throw new IllegalArgumentException("resync.interval.seconds must be positive, got " + resyncInterval);
    }
    if (podWorkers < 1 || podWorkers > 64) {
      throw new IllegalArgumentException("pod.workers must be between 1 and 64, got " + podWorkers);
    }
    require(infraImage, "infra.image");
    infraCommand = infraCommand == null ? List.of() : List.copyOf(infraCommand);
    if (volumesDir == null || !volumesDir.isAbsolute()) {
      throw new IllegalArgumentException("volumes.dir must be an absolute path, got " + volumesDir);
    }
    hostPathAllow = hostPathAllow == null ? List.of() : List.copyOf(hostPathAllow);
    storage = storage == null ? Storage.DEFAULT : storage;
    if (logMaxBytes < 0) {
      throw new IllegalArgumentException("container.log.max.mb must not be negative, got " + logMaxBytes);
    }
    if (clusterDomain == null || !clusterDomain.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
        + "[a-z0-9])?)*") || clusterDomain.length() > 253) {
      throw new IllegalArgumentException("cluster.domain must be a DNS domain such as cluster.local, got '"
          + clusterDomain + "'");
    }
    resolvConf = resolvConf == null ? DEFAULT_RESOLV_CONF : resolvConf;
    if (!resolvConf.isAbsolute()) {
      throw new IllegalArgumentException("resolv.conf must be an absolute path, got " + resolvConf);
    }
    if (security == null) {
      throw new IllegalArgumentException("the node's security settings are required");
    }
    for (Path allowed : hostPathAllow) {
      if (!allowed.isAbsolute()) {
        throw new IllegalArgumentException("hostpath.allow entries must be absolute paths, got " + allowed);
      }
    }
  }

  /** {@code config} with every {@link NodeSecurity.Allow} switch off. */
  static Settings from(ContainersConfig config) {
    return from(config, java.util.Map.of());
  }

  /** {@code config}, with the {@link NodeSecurity.Allow} switches read from the component's {@code properties}. */
  static Settings from(ContainersConfig config, java.util.Map<String, ?> properties) {
    return new Settings(trim(config.node_name()), trim(config.engine_host()),
        Duration.ofSeconds(config.resync_interval_seconds()), config.pod_workers(), trim(config.infra_image()),
        words(config.infra_command()),
        config.volumes_dir() == null || config.volumes_dir().isBlank() ? defaultVolumesDir()
            : Path.of(config.volumes_dir().trim()),
        words(config.hostpath_allow() == null ? null : config.hostpath_allow().replace(',', ' ')).stream()
            .map(p -> Path.of(p).normalize()).toList(),
        config.container_log_max_mb() * 1024L * 1024L,
        config.cluster_domain() == null || config.cluster_domain().isBlank() ? DEFAULT_CLUSTER_DOMAIN
            : config.cluster_domain().trim(), security(config, properties),
        new Storage(Duration.ofSeconds(config.emptydir_check_interval_seconds()), config.emptydir_walk_max_entries(),
            NodefsPressure.parse(config.eviction_hard())),
        config.resolv_conf() == null || config.resolv_conf().isBlank() ? DEFAULT_RESOLV_CONF
            : Path.of(config.resolv_conf().trim()));
  }

  private static NodeSecurity security(ContainersConfig config, java.util.Map<String, ?> properties) {
    return new NodeSecurity(NodeSecurity.Allow.PRIVILEGED.in(properties),
        NodeSecurity.Allow.HOST_NETWORK.in(properties), NodeSecurity.Allow.HOST_PID.in(properties),
        NodeSecurity.Allow.HOST_IPC.in(properties), words(config.allowed_unsafe_sysctls() == null ? null
            : config.allowed_unsafe_sysctls().replace(',', ' ')), config.seccomp_default(),
        config.seccomp_profiles_dir() == null || config.seccomp_profiles_dir().isBlank()
            ? NodeSecurity.defaultSeccompDir() : Path.of(config.seccomp_profiles_dir().trim()));
  }

  private static List<String> words(String value) {
    return value == null || value.isBlank() ? List.of() : Arrays.asList(value.trim().split("\\s+"));
  }

  private static String trim(String value) {
    return value == null ? null : value.trim();
  }

  private static void require(String value, String key) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(key + " is required (configuration PIDs io.outpost.containers,"
          + " io.outpost.node)");
    }
  }
}
