package io.outpost.containers.impl;

import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.ResourceFieldRefV1;
import io.outpost.protocol.ResourcesV1;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The downward API's {@code resourceFieldRef}, computed as the kubelet computes it ({@code resource.
 * ExtractContainerResourceValue} on the container its {@code defaultPodLimitsForDownwardAPI} returns): the container's
 * request or limit divided by {@code divisor} (absent or zero: 1) and rounded up, saturated at the largest int64; a
 * limit that is not set (or zero) is the node's allocatable for {@code cpu}, {@code memory} and
 * {@code ephemeral-storage}; a request that is not set is 0. {@code containerName} (required in volumes) names a
 * container or init container of the pod; without it the env var's own container is meant.
 */
final class ResourceFields {
  private static final Pattern QUANTITY = Pattern.compile(
      "([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?");
  private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  private ResourceFields() {}

  /**
   * The value as the env var or file holds it. {@code self} is the env var's container (null in a volume);
   * {@code allocatable} the node's allocatable quantities (null or missing entries: unknown, a missing limit is then
   * 0 as it would be for a kubelet without that figure).
   */
  static String value(ResourceFieldRefV1 ref, PodV1 pod, ContainerV1 self, Map<String, String> allocatable)
      throws EnvResolver.ConfigError {
    ContainerV1 container = container(ref, pod, self);
    BigDecimal divisor = divisor(ref.divisor());
    ResourcesV1 r = container.resources();
    Map<String, String> node = allocatable == null ? Map.of() : allocatable;
    BigDecimal amount = switch (ref.resource()) {
      case "limits.cpu" -> limit(r, ResourcesV1::cpuLimitMillis, 3, node.get("cpu"));
      case "limits.memory" -> limit(r, ResourcesV1::memoryLimitBytes, 0, node.get("memory"));
      // The bridge refuses ephemeral-storage limits (not enforced at the edge): always the node's allocatable.
      case "limits.ephemeral-storage" -> limit(null, null, 0, node.get("ephemeral-storage"));
      case "requests.cpu" -> request(r, ResourcesV1::cpuRequestMillis, 3);
      case "requests.memory" -> request(r, ResourcesV1::memoryRequestBytes, 0);
      case "requests.ephemeral-storage" -> request(r, ResourcesV1::ephemeralStorageRequestBytes, 0);
      default -> throw new EnvResolver.ConfigError("unsupported container resource : " + ref.resource()
          + " (supported: limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu, requests.memory, "
          + "requests.ephemeral-storage)");
    };
    return ceilDivide(amount, divisor);
  }

  /** {@code convertQuantityToString}: ceil(amount / divisor), "0" for a divisor that is not positive. */
  static String ceilDivide(BigDecimal amount, BigDecimal divisor) {
    if (divisor.signum() <= 0) {
      return "0";
    }
    BigDecimal result = amount.divide(divisor, 0, RoundingMode.CEILING);
    return result.compareTo(MAX) > 0 ? MAX.toPlainString() : result.toPlainString();
  }

  /** A Kubernetes quantity ({@code 250m}, {@code 1Gi}, {@code 1e3}) as a number of base units; null if invalid. */
  static BigDecimal quantity(String text) {
    if (text == null) {
      return null;
    }
    Matcher m = QUANTITY.matcher(text.trim());
    if (!m.matches()) {
      return null;
    }
    BigDecimal number = new BigDecimal(m.group(1));
    String suffix = m.group(2) == null ? "" : m.group(2);
    return switch (suffix) {
      case "" -> number;
      case "n" -> number.movePointLeft(9);
      case "u" -> number.movePointLeft(6);
      case "m" -> number.movePointLeft(3);
      case "k" -> number.movePointRight(3);
      case "M" -> number.movePointRight(6);
      case "G" -> number.movePointRight(9);
      case "T" -> number.movePointRight(12);
      case "P" -> number.movePointRight(15);
      case "E" -> number.movePointRight(18);
      default -> suffix.charAt(0) == 'e' || suffix.charAt(0) == 'E'
          ? number.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)))
          : number.multiply(BigDecimal.valueOf(2).pow(10 * (1 + "KMGTPE".indexOf(suffix.charAt(0)))));
    };
  }

  private static ContainerV1 container(ResourceFieldRefV1 ref, PodV1 pod, ContainerV1 self)
      throws EnvResolver.ConfigError {
    String name = ref.containerName();
    if (name == null || name.isEmpty()) {
      if (self == null) {
        throw new EnvResolver.ConfigError("resourceFieldRef " + ref.resource() + " needs a containerName");
      }
      return self;
    }
    if (self != null && name.equals(self.name())) {
      return self;
    }
    if (pod != null) {
      for (ContainerV1 c : pod.containers()) {
        if (name.equals(c.name())) {
          return c;
        }
      }
      for (ContainerV1 c : pod.initContainersInOrder()) {
        if (name.equals(c.name())) {
          return c;
        }
      }
    }
    throw new EnvResolver.ConfigError("container " + name + " not found");
  }

  private static BigDecimal divisor(String text) throws EnvResolver.ConfigError {
    if (text == null || text.isEmpty()) {
      return BigDecimal.ONE;
    }
    BigDecimal divisor = quantity(text);
    if (divisor == null) {
      throw new EnvResolver.ConfigError("invalid resourceFieldRef divisor \"" + text + "\"");
    }
    return divisor.signum() == 0 ? BigDecimal.ONE : divisor;
  }

  /** The container's limit ({@code scale} 3: millicores), else the node's allocatable, else 0. */
  private static BigDecimal limit(ResourcesV1 resources, Function<ResourcesV1, Long> field, int scale,
      String allocatable) {
    Long value = resources == null || field == null ? null : field.apply(resources);
    if (value != null && value > 0) {
      return BigDecimal.valueOf(value).movePointLeft(scale);
    }
    BigDecimal node = quantity(allocatable);
    return node == null ? BigDecimal.ZERO : node;
  }

  private static BigDecimal request(ResourcesV1 resources, Function<ResourcesV1, Long> field, int scale) {
    Long value = resources == null ? null : field.apply(resources);
    return value == null ? BigDecimal.ZERO : BigDecimal.valueOf(value).movePointLeft(scale);
  }
}
