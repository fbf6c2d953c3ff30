package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.ConfigMapProjection;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.outpost.protocol.VolumeV1;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates pod volumes and container mounts. Volume types the edge cannot provide (persistent volume claims,
 * network file systems, …) travel as {@code unsupported} so that the pod fails with a clear reason; projected
 * sources other than ConfigMaps and Secrets (service account tokens, downward API) are left out — the edge has no
 * API server to give a token for.
 */
final class VolumeTranslator {
  private VolumeTranslator() {}

  static List<VolumeV1> volumes(List<Volume> volumes) {
    if (volumes == null || volumes.isEmpty()) {
      return null;
    }
    return volumes.stream().map(VolumeTranslator::volume).toList();
  }

  static List<VolumeV1.VolumeMountV1> mounts(Container container) {
    List<VolumeMount> mounts = container.getVolumeMounts();
    if (mounts == null || mounts.isEmpty()) {
      return null;
    }
    return mounts.stream().map(m -> new VolumeV1.VolumeMountV1(m.getName(), m.getMountPath(),
        m.getSubPath() == null || m.getSubPath().isEmpty() ? null : m.getSubPath(),
        Boolean.TRUE.equals(m.getReadOnly()) ? Boolean.TRUE : null)).toList();
  }

  private static VolumeV1 volume(Volume v) {
    String name = v.getName();
    if (v.getEmptyDir() != null) {
      return new VolumeV1(name, emptyDir(v.getEmptyDir()), null, null, null, null, null);
    }
    if (v.getConfigMap() != null) {
      return new VolumeV1(name, null, new VolumeV1.KeyedSourceV1(v.getConfigMap().getName(),
          items(v.getConfigMap().getItems()), v.getConfigMap().getDefaultMode(),
          optional(v.getConfigMap().getOptional())), null, null, null, null);
    }
    if (v.getSecret() != null) {
      return new VolumeV1(name, null, null, new VolumeV1.KeyedSourceV1(v.getSecret().getSecretName(),
          items(v.getSecret().getItems()), v.getSecret().getDefaultMode(), optional(v.getSecret().getOptional())),
          null, null, null);
    }
    if (v.getHostPath() != null) {
      return new VolumeV1(name, null, null, null, new VolumeV1.HostPathV1(v.getHostPath().getPath(),
          v.getHostPath().getType() == null || v.getHostPath().getType().isEmpty() ? null
              : v.getHostPath().getType()), null, null);
    }
    if (v.getProjected() != null) {
      List<VolumeV1.ProjectionV1> sources = new ArrayList<>();
      for (VolumeProjection p : v.getProjected().getSources() == null ? List.<VolumeProjection>of()
          : v.getProjected().getSources()) {
        ConfigMapProjection cm = p.getConfigMap();
        SecretProjection secret = p.getSecret();
        if (cm != null) {
          sources.add(new VolumeV1.ProjectionV1(new VolumeV1.KeyedSourceV1(cm.getName(), items(cm.getItems()),
              null, optional(cm.getOptional())), null));
        } else if (secret != null) {
          sources.add(new VolumeV1.ProjectionV1(null, new VolumeV1.KeyedSourceV1(secret.getName(),
              items(secret.getItems()), null, optional(secret.getOptional()))));
        }
      }
      return new VolumeV1(name, null, null, null, null, new VolumeV1.ProjectedV1(sources,
          v.getProjected().getDefaultMode()), null);
    }
    return new VolumeV1(name, null, null, null, null, null, typeOf(v));
  }

  /**
   * Medium as written (empty means the node's default, as in Kubernetes); {@code sizeLimit} in bytes, rounded up
   * as the kubelet reads a quantity ({@code Quantity.Value()}), absent if not set.
   */
  static VolumeV1.EmptyDirV1 emptyDir(EmptyDirVolumeSource source) {
    String medium = source.getMedium() == null || source.getMedium().isEmpty() ? null : source.getMedium();
    Quantity limit = source.getSizeLimit();
    Long bytes = limit == null || limit.getAmount() == null || limit.getAmount().isEmpty() ? null
        : limit.getNumericalAmount().setScale(0, RoundingMode.CEILING).longValueExact();
    return new VolumeV1.EmptyDirV1(medium, bytes);
  }

  private static List<VolumeV1.KeyToPathV1> items(List<KeyToPath> items) {
    return items == null || items.isEmpty() ? null
        : items.stream().map(i -> new VolumeV1.KeyToPathV1(i.getKey(), i.getPath(), i.getMode())).toList();
  }

  private static Boolean optional(Boolean optional) {
    return Boolean.TRUE.equals(optional) ? Boolean.TRUE : null;
  }

  private static String typeOf(Volume v) {
    if (v.getPersistentVolumeClaim() != null) {
      return "persistentVolumeClaim";
    } else if (v.getNfs() != null) {
      return "nfs";
    } else if (v.getDownwardAPI() != null) {
      return "downwardAPI";
    } else if (v.getCsi() != null) {
      return "csi";
    } else if (v.getEphemeral() != null) {
      return "ephemeral";
    }
    return "unknown";
  }
}
