package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PortV1;
import io.outpost.protocol.ResourcesV1;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * Translates one container (app, init or ephemeral) into {@link PodV1.ContainerV1}: image and command, environment,
 * host ports, resources, mounts, probes, lifecycle, terminal and termination message. Fields at their API-server
 * defaults are not sent, so that a pod that sets none of the newer fields encodes as before.
 */
final class ContainerTranslator {
  private static final String DEFAULT_MESSAGE_PATH = "/dev/termination-log";

  private ContainerTranslator() {}

  /** {@code target}: an ephemeral container's {@code targetContainerName}, null for the others. */
  static PodV1.ContainerV1 container(Container c, String target) {
    List<PodV1.EnvVarV1> env = c.getEnv() == null ? List.of() : c.getEnv().stream().map(ContainerTranslator::env)
        .toList();
    List<PodV1.EnvFromV1> envFrom = c.getEnvFrom() == null ? List.of() : c.getEnvFrom().stream()
        .map(ContainerTranslator::envFrom).toList();
    return new PodV1.ContainerV1(c.getName(), c.getImage(), c.getImagePullPolicy(), emptyToNull(c.getCommand()),
        emptyToNull(c.getArgs()), c.getWorkingDir(), env.isEmpty() ? null : env,
        envFrom.isEmpty() ? null : envFrom, resources(c.getResources()), hostPorts(c),
        VolumeTranslator.mounts(c), ProbeTranslator.probes(c), SecurityContextTranslator.container(c),
        LifecycleTranslator.lifecycle(c), notDefault(c.getTerminationMessagePath(), DEFAULT_MESSAGE_PATH),
        notDefault(c.getTerminationMessagePolicy(), "File"), "Always".equals(c.getRestartPolicy()) ? "Always" : null,
        onlyTrue(c.getStdin()), onlyTrue(c.getStdinOnce()), onlyTrue(c.getTty()), target);
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
        bytes(requests.get("memory")), bytes(limits.get("memory")), bytes(requests.get("ephemeral-storage")));
    return resources.equals(new ResourcesV1(null, null, null, null, null)) ? null : resources;
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
   * offline gets them too): ConfigMap and Secret keys, pod fields (the node judges which paths it supports, as a
   * kubelet does) and container resources.
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
      source = new PodV1.EnvSourceV1(null, null, null, resourceFieldRef(from.getResourceFieldRef()));
    } else {
      source = new PodV1.EnvSourceV1(null, null, "unknown");
    }
    return new PodV1.EnvVarV1(var.getName(), null, source);
  }

  /** A resourceFieldRef with its divisor as the quantity it was written as (absent: 1). */
  static PodV1.ResourceFieldRefV1 resourceFieldRef(ResourceFieldSelector ref) {
    Quantity divisor = ref.getDivisor();
    String unit = divisor == null || divisor.getAmount() == null || divisor.getAmount().isEmpty() ? null
        : divisor.getAmount() + (divisor.getFormat() == null ? "" : divisor.getFormat());
    return new PodV1.ResourceFieldRefV1(emptyToNull(ref.getContainerName()), ref.getResource(), unit);
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
    return onlyTrue(optional);
  }

  private static Boolean onlyTrue(Boolean value) {
    return Boolean.TRUE.equals(value) ? Boolean.TRUE : null;
  }

  private static String notDefault(String value, String byDefault) {
    return value == null || value.isEmpty() || value.equals(byDefault) ? null : value;
  }

  static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static List<String> emptyToNull(List<String> list) {
    return list == null || list.isEmpty() ? null : List.copyOf(list);
  }
}
