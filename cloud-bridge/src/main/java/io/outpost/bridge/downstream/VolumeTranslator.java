package io.outpost.bridge.downstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapProjection;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretProjection;
import io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.outpost.protocol.VolumeV1;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Translates pod volumes and container mounts. Volume types the edge cannot provide (persistent volume claims,
 * network file systems, …) travel as {@code unsupported}, and the PodSpec contract refuses the pod naming them;
 * projected sources are ConfigMaps, Secrets, downward-API files and ServiceAccount tokens (requested by the bridge,
 * written by the node); a ClusterTrustBundle source is refused by the contract and not sent.
 */
final class VolumeTranslator {
  private static final ObjectMapper JSON = new ObjectMapper();
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
        emptyToNull(m.getSubPath()), Boolean.TRUE.equals(m.getReadOnly()) ? Boolean.TRUE : null,
        emptyToNull(m.getSubPathExpr()), "None".equals(m.getMountPropagation()) ? null
            : emptyToNull(m.getMountPropagation()))).toList();
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
        } else if (p.getDownwardAPI() != null) {
          sources.add(new VolumeV1.ProjectionV1(null, null, new VolumeV1.DownwardApiV1(
              files(p.getDownwardAPI().getItems()), null), null));
        } else if (p.getServiceAccountToken() != null) {
          ServiceAccountTokenProjection token = p.getServiceAccountToken();
          sources.add(new VolumeV1.ProjectionV1(null, null, null, new VolumeV1.ServiceAccountTokenV1(
              emptyToNull(token.getAudience()), token.getExpirationSeconds(), token.getPath())));
        }
      }
      return new VolumeV1(name, null, null, null, null, new VolumeV1.ProjectedV1(sources,
          v.getProjected().getDefaultMode()), null);
    }
    if (v.getDownwardAPI() != null) {
      return new VolumeV1(name, null, null, null, null, null, null, new VolumeV1.DownwardApiV1(
          files(v.getDownwardAPI().getItems()), v.getDownwardAPI().getDefaultMode()));
    }
    return new VolumeV1(name, null, null, null, null, null, typeOf(v));
  }

  /** Downward-API files: a pod field or a container resource each. */
  private static List<VolumeV1.DownwardFileV1> files(List<DownwardAPIVolumeFile> items) {
    return items == null || items.isEmpty() ? null : items.stream().map(i -> new VolumeV1.DownwardFileV1(
        i.getPath(), i.getFieldRef() == null ? null : i.getFieldRef().getFieldPath(),
        i.getResourceFieldRef() == null ? null : ContainerTranslator.resourceFieldRef(i.getResourceFieldRef()),
        i.getMode())).toList();
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
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

  /** The volume's type as Kubernetes names it (its one field besides {@code name}), for the node's message. */
  private static String typeOf(Volume v) {
    JsonNode fields = JSON.valueToTree(v);
    for (Iterator<String> names = fields.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!"name".equals(name) && !fields.get(name).isNull()) {
        return name;
      }
    }
    return "unknown";
  }
}
