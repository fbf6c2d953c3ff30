package io.outpost.protocol;

import java.util.List;

/**
 * A pod volume the edge can provide: exactly one of {@code emptyDir}, {@code configMap}, {@code secret},
 * {@code hostPath}, {@code projected} (ConfigMap and Secret sources), or {@code unsupported} naming a Kubernetes
 * volume type the edge does not provide (the pod then fails with a clear CreateContainerConfigError instead of
 * running without it).
 */
public record VolumeV1(String name, EmptyDirV1 emptyDir, KeyedSourceV1 configMap, KeyedSourceV1 secret,
    HostPathV1 hostPath, ProjectedV1 projected, String unsupported, DownwardApiV1 downwardAPI) {

  /** A volume as bridges before {@code downwardAPI} volumes send it. */
  public VolumeV1(String name, EmptyDirV1 emptyDir, KeyedSourceV1 configMap, KeyedSourceV1 secret,
      HostPathV1 hostPath, ProjectedV1 projected, String unsupported) {
    this(name, emptyDir, configMap, secret, hostPath, projected, unsupported, null);
  }

  /** Files of pod fields ({@code fieldPath}) and container resources ({@code resourceFieldRef}). */
  public record DownwardApiV1(List<DownwardFileV1> items, Integer defaultMode) {
    public List<DownwardFileV1> files() {
      return items == null ? List.of() : items;
    }
  }

  /** One downward-API file: exactly one of {@code fieldPath} and {@code resourceFieldRef}. */
  public record DownwardFileV1(String path, String fieldPath, PodV1.ResourceFieldRefV1 resourceFieldRef,
      Integer mode) {}

  /**
   * A bound ServiceAccount token written to {@code path}: requested by the bridge for the pod with this
   * {@code audience} (absent: the API server's) and {@code expirationSeconds} (absent: 3607, as the API server
   * defaults it).
   */
  public record ServiceAccountTokenV1(String audience, Long expirationSeconds, String path) {}

  /** Keys of a ConfigMap or Secret as files: all keys, or only {@code items}; modes octal as in Kubernetes. */
  public record KeyedSourceV1(String name, List<KeyToPathV1> items, Integer defaultMode, Boolean optional) {
    public boolean canBeMissing() {
      return Boolean.TRUE.equals(optional);
    }
  }

  public record KeyToPathV1(String key, String path, Integer mode) {}

  /**
   * An emptyDir: {@code medium} as in Kubernetes ({@code ""}/absent: the node's disk, {@code Memory}: a tmpfs),
   * {@code sizeLimitBytes} the {@code sizeLimit} in bytes, absent when not set (added compatibly in v1: an edge that
   * does not know it runs the volume unbounded, as before).
   */
  public record EmptyDirV1(String medium, Long sizeLimitBytes) {
    /** An emptyDir without a size limit. */
    public EmptyDirV1(String medium) {
      this(medium, null);
    }

    public boolean memory() {
      return "Memory".equals(medium);
    }
  }

  public record HostPathV1(String path, String type) {}

  public record ProjectedV1(List<ProjectionV1> sources, Integer defaultMode) {}

  /** One projected source: exactly one of a ConfigMap, a Secret, downward-API files or a ServiceAccount token. */
  public record ProjectionV1(KeyedSourceV1 configMap, KeyedSourceV1 secret, DownwardApiV1 downwardAPI,
      ServiceAccountTokenV1 serviceAccountToken) {
    public ProjectionV1(KeyedSourceV1 configMap, KeyedSourceV1 secret) {
      this(configMap, secret, null, null);
    }
  }

  /**
   * Where a volume appears in a container; {@code subPath} a relative path inside the volume, or {@code subPathExpr}
   * one with {@code $(VAR)} references expanded against the container's environment; {@code mountPropagation} as
   * in Kubernetes (absent: None).
   */
  public record VolumeMountV1(String name, String mountPath, String subPath, Boolean readOnly, String subPathExpr,
      String mountPropagation) {
    public VolumeMountV1(String name, String mountPath, String subPath, Boolean readOnly) {
      this(name, mountPath, subPath, readOnly, null, null);
    }

    public boolean readOnlyMount() {
      return Boolean.TRUE.equals(readOnly);
    }
  }

  void validate() throws ProtocolException {
    Validation.require(name, "volume.name");
    int sources = count(emptyDir, configMap, secret, hostPath, projected, unsupported, downwardAPI);
    if (sources != 1) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "volume " + name
          + " needs exactly one source, has " + sources);
    }
    validate(configMap);
    validate(secret);
    validate(downwardAPI);
    if (emptyDir != null && emptyDir.sizeLimitBytes() != null && emptyDir.sizeLimitBytes() < 0) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "volume " + name
          + ": emptyDir.sizeLimitBytes must not be negative, was " + emptyDir.sizeLimitBytes());
    }
    if (hostPath != null && (hostPath.path() == null || !hostPath.path().startsWith("/"))) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "volume " + name
          + ": hostPath.path must be absolute");
    }
    if (projected != null && projected.sources() != null) {
      for (ProjectionV1 source : projected.sources()) {
        Validation.require(source, "volume.projected.sources[]");
        if (count(source.configMap(), source.secret(), source.downwardAPI(), source.serviceAccountToken()) != 1) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "volume " + name
              + ": a projected source needs exactly one of configMap, secret, downwardAPI and serviceAccountToken");
        }
        validate(source.configMap());
        validate(source.secret());
        validate(source.downwardAPI());
        if (source.serviceAccountToken() != null) {
          requireRelative(source.serviceAccountToken().path(), "volume " + name + " serviceAccountToken path");
          Long expiry = source.serviceAccountToken().expirationSeconds();
          if (expiry != null && expiry < 600) {
            throw new ProtocolException(ProtocolException.Reason.INVALID, "volume " + name
                + ": serviceAccountToken.expirationSeconds must be at least 600, was " + expiry);
          }
        }
      }
    }
  }

  private void validate(DownwardApiV1 source) throws ProtocolException {
    if (source == null) {
      return;
    }
    for (DownwardFileV1 file : source.files()) {
      Validation.require(file, "volume.downwardAPI.items[]");
      requireRelative(file.path(), "volume " + name + " downwardAPI item path");
      if ((file.fieldPath() == null) == (file.resourceFieldRef() == null)) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "volume " + name
            + ": a downwardAPI item needs exactly one of fieldPath and resourceFieldRef");
      }
      if (file.resourceFieldRef() != null) {
        file.resourceFieldRef().validate("volume " + name + " downwardAPI item resourceFieldRef");
      }
    }
  }

  private void validate(KeyedSourceV1 source) throws ProtocolException {
    if (source == null) {
      return;
    }
    Validation.require(source.name(), "volume " + name + " source name");
    if (source.items() != null) {
      for (KeyToPathV1 item : source.items()) {
        Validation.require(item, "volume.items[]");
        Validation.require(item.key(), "volume.items[].key");
        requireRelative(item.path(), "volume " + name + " item path");
      }
    }
  }

  /** A path inside a volume: relative, not empty, no {@code ..} segment. */
  static void requireRelative(String path, String what) throws ProtocolException {
    if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("\0")) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, what + " must be a relative path, was '"
          + path + "'");
    }
    for (String segment : path.split("/")) {
      if ("..".equals(segment)) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, what + " must not contain '..', was '"
            + path + "'");
      }
    }
  }

  private static int count(Object... sources) {
    int n = 0;
    for (Object source : sources) {
      n += source == null ? 0 : 1;
    }
    return n;
  }
}
