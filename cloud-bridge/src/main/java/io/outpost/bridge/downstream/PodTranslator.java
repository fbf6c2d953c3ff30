package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PortV1;
import io.outpost.protocol.ResourcesV1;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/** Translates a Kubernetes Pod into the part of it an edge node needs (protocol {@link PodV1}). */
final class PodTranslator {
  private PodTranslator() {}

  static ObjectRef ref(Pod pod) {
    return new ObjectRef(Downstream.KIND_POD, pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
        pod.getMetadata().getUid(), pod.getMetadata().getResourceVersion());
  }

  static String key(Pod pod) {
    return ObjectRef.key(Downstream.KIND_POD, pod.getMetadata().getNamespace(), pod.getMetadata().getName());
  }

  static PodV1 toEdge(Pod pod) {
    List<PodV1.ContainerV1> containers = pod.getSpec().getContainers().stream().map(PodTranslator::container)
        .toList();
    List<PodV1.ContainerV1> init = pod.getSpec().getInitContainers() == null ? List.of()
        : pod.getSpec().getInitContainers().stream().map(PodTranslator::container).toList();
    return new PodV1(pod.getSpec().getNodeName(), pod.getSpec().getRestartPolicy(),
        pod.getSpec().getTerminationGracePeriodSeconds(), pod.getMetadata().getDeletionTimestamp(),
        pod.getMetadata().getDeletionGracePeriodSeconds(), containers, init.isEmpty() ? null : init,
        VolumeTranslator.volumes(pod.getSpec().getVolumes()), pullSecrets(pod),
        emptyToNull(pod.getSpec().getHostname()), emptyToNull(pod.getSpec().getSubdomain()),
        optional(pod.getSpec().getSetHostnameAsFQDN()), SecurityContextTranslator.pod(pod.getSpec()),
        emptyToNull(UnsupportedFields.of(pod)));
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static List<String> pullSecrets(Pod pod) {
    List<String> names = pod.getSpec().getImagePullSecrets() == null ? List.of()
        : pod.getSpec().getImagePullSecrets().stream().map(s -> s.getName())
            .filter(n -> n != null && !n.isEmpty()).distinct().toList();
    return names.isEmpty() ? null : names;
  }

  private static PodV1.ContainerV1 container(Container c) {
    List<PodV1.EnvVarV1> env = c.getEnv() == null ? List.of() : c.getEnv().stream().map(PodTranslator::env)
        .toList();
    List<PodV1.EnvFromV1> envFrom = c.getEnvFrom() == null ? List.of() : c.getEnvFrom().stream()
        .map(PodTranslator::envFrom).toList();
    return new PodV1.ContainerV1(c.getName(), c.getImage(), c.getImagePullPolicy(), emptyToNull(c.getCommand()),
        emptyToNull(c.getArgs()), c.getWorkingDir(), env.isEmpty() ? null : env,
        envFrom.isEmpty() ? null : envFrom, resources(c.getResources()), hostPorts(c),
        VolumeTranslator.mounts(c), ProbeTranslator.probes(c), SecurityContextTranslator.container(c));
  }

  /** The ports published on the node (with a hostPort); the others mean nothing to the edge. */
  private static List<PortV1> hostPorts(Container c) {
    List<PortV1> ports = c.getPorts() == null ? List.of() : c.getPorts().stream()
        .filter(p -> p.getHostPort() != null && p.getHostPort() > 0 && p.getContainerPort() != null)
        .map(p -> new PortV1(p.getName(), p.getContainerPort(), p.getHostPort(), p.getProtocol(),
            p.getHostIP() == null || p.getHostIP().isBlank() ? null : p.getHostIP()))
        .toList();
    return ports.isEmpty() ? null : ports;
  }

  /** Requests and limits as numbers (millicores, bytes); null if the container sets none. */
  static ResourcesV1 resources(ResourceRequirements requirements) {
    if (requirements == null) {
      return null;
    }
    Map<String, Quantity> requests = requirements.getRequests() == null ? Map.of() : requirements.getRequests();
    Map<String, Quantity> limits = requirements.getLimits() == null ? Map.of() : requirements.getLimits();
    ResourcesV1 resources = new ResourcesV1(millis(requests.get("cpu")), millis(limits.get("cpu")),
        bytes(requests.get("memory")), bytes(limits.get("memory")));
    return resources.equals(new ResourcesV1(null, null, null, null)) ? null : resources;
  }

  private static Long millis(Quantity cpu) {
    return cpu == null ? null : cpu.getNumericalAmount().multiply(BigDecimal.valueOf(1000))
        .setScale(0, RoundingMode.CEILING).longValueExact();
  }

  private static Long bytes(Quantity memory) {
    return memory == null ? null : memory.getNumericalAmount().setScale(0, RoundingMode.CEILING).longValueExact();
  }

  /**
   * Literal values as they are; sources by reference, resolved on the edge from its store (so a pod restarted
   * offline gets them too). A source the edge cannot resolve (resourceFieldRef) is passed as a field path it
   * rejects with a clear CreateContainerConfigError rather than dropped silently.
   */
  private static PodV1.EnvVarV1 env(EnvVar var) {
    EnvVarSource from = var.getValueFrom();
    if (from == null) {
      return new PodV1.EnvVarV1(var.getName(), var.getValue() == null ? "" : var.getValue());
    }
    PodV1.EnvSourceV1 source;
    if (from.getConfigMapKeyRef() != null) {
      source = new PodV1.EnvSourceV1(new PodV1.KeyRefV1(from.getConfigMapKeyRef().getName(),
          from.getConfigMapKeyRef().getKey(), optional(from.getConfigMapKeyRef().getOptional())), null, null);
    } else if (from.getSecretKeyRef() != null) {
      source = new PodV1.EnvSourceV1(null, new PodV1.KeyRefV1(from.getSecretKeyRef().getName(),
          from.getSecretKeyRef().getKey(), optional(from.getSecretKeyRef().getOptional())), null);
    } else if (from.getFieldRef() != null) {
      source = new PodV1.EnvSourceV1(null, null, from.getFieldRef().getFieldPath());
    } else if (from.getResourceFieldRef() != null) {
      source = new PodV1.EnvSourceV1(null, null, "resourceFieldRef:" + from.getResourceFieldRef().getResource());
    } else {
      source = new PodV1.EnvSourceV1(null, null, "unknown");
    }
    return new PodV1.EnvVarV1(var.getName(), null, source);
  }

  private static PodV1.EnvFromV1 envFrom(EnvFromSource from) {
    PodV1.ObjectNameV1 configMap = from.getConfigMapRef() == null ? null
        : new PodV1.ObjectNameV1(from.getConfigMapRef().getName(), optional(from.getConfigMapRef().getOptional()));
    PodV1.ObjectNameV1 secret = from.getSecretRef() == null ? null
        : new PodV1.ObjectNameV1(from.getSecretRef().getName(), optional(from.getSecretRef().getOptional()));
    return new PodV1.EnvFromV1(from.getPrefix(), configMap, secret);
  }

  /** Only {@code true} is sent: absent and false mean the same, and the same content must compare equal. */
  private static Boolean optional(Boolean optional) {
    return Boolean.TRUE.equals(optional) ? Boolean.TRUE : null;
  }

  private static List<String> emptyToNull(List<String> list) {
    return list == null || list.isEmpty() ? null : List.copyOf(list);
  }
}
