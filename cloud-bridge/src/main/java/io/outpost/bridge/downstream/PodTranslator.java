package io.outpost.bridge.downstream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.HostAlias;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.outpost.bridge.downstream.contract.DnsConfigBounds;
import io.outpost.protocol.DnsConfigV1;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Translates a Kubernetes Pod into the part of it an edge node needs (protocol {@link PodV1}), as the PodSpec contract
 * (docs/podspec-contract.md) says: what the node honours is sent, what it refuses is named in {@code unsupported}.
 * Labels always travel (the downward API reads them); annotations only as far as the pod reads them
 * ({@link DownwardAnnotations}).
 */
final class PodTranslator {
  /** Converts an ephemeral container into a container (the same fields, and {@code targetContainerName}). */
  private static final ObjectMapper JSON = new ObjectMapper();

  private PodTranslator() {}

  static ObjectRef ref(Pod pod) {
    return new ObjectRef(Downstream.KIND_POD, pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
        pod.getMetadata().getUid(), pod.getMetadata().getResourceVersion());
  }

  static String key(Pod pod) {
    return ObjectRef.key(Downstream.KIND_POD, pod.getMetadata().getNamespace(), pod.getMetadata().getName());
  }

  static PodV1 toEdge(Pod pod) {
    PodSpec spec = pod.getSpec();
    List<PodV1.ContainerV1> containers = spec.getContainers().stream().map(c -> ContainerTranslator.container(c, null))
        .toList();
    List<PodV1.ContainerV1> init = spec.getInitContainers() == null ? List.of()
        : spec.getInitContainers().stream().map(c -> ContainerTranslator.container(c, null)).toList();
    List<PodV1.ContainerV1> ephemeral = ephemeral(spec);
    return new PodV1(spec.getNodeName(), spec.getRestartPolicy(), spec.getTerminationGracePeriodSeconds(),
        pod.getMetadata().getDeletionTimestamp(), pod.getMetadata().getDeletionGracePeriodSeconds(), containers,
        init.isEmpty() ? null : init, VolumeTranslator.volumes(spec.getVolumes()), pullSecrets(spec),
        emptyToNull(spec.getHostname()), emptyToNull(spec.getSubdomain()), optional(spec.getSetHostnameAsFQDN()),
        SecurityContextTranslator.pod(spec), emptyToNull(UnsupportedFields.of(pod)),
        spec.getActiveDeadlineSeconds(), hostAliases(spec), ephemeral.isEmpty() ? null : ephemeral,
        labels(pod.getMetadata().getLabels()), DownwardAnnotations.of(pod), serviceAccount(spec),
        dnsPolicy(spec), dnsConfig(spec.getDnsConfig()), enableServiceLinks(spec));
  }

  /** {@code dnsPolicy}; the default ClusterFirst is not sent (absent and ClusterFirst mean the same). */
  private static String dnsPolicy(PodSpec spec) {
    String policy = emptyToNull(spec.getDnsPolicy());
    return "ClusterFirst".equals(policy) ? null : policy;
  }

  /** Only {@code false} is sent: absent and true (the default) mean the same. */
  private static Boolean enableServiceLinks(PodSpec spec) {
    return Boolean.FALSE.equals(spec.getEnableServiceLinks()) ? Boolean.FALSE : null;
  }

  /**
   * {@code dnsConfig}, if set and within the wire's bounds (beyond them the contract refuses the pod and the field
   * is not sent); null otherwise.
   */
  static DnsConfigV1 dnsConfig(PodDNSConfig config) {
    if (config == null || DnsConfigBounds.problem(JSON.valueToTree(config)).isPresent()) {
      return null;
    }
    List<DnsConfigV1.OptionV1> options = config.getOptions() == null ? List.of() : config.getOptions().stream()
        .map(o -> new DnsConfigV1.OptionV1(o.getName(), o.getValue())).toList();
    DnsConfigV1 dns = new DnsConfigV1(emptyToNull(config.getNameservers()), emptyToNull(config.getSearches()),
        options.isEmpty() ? null : options);
    return dns.nameservers().isEmpty() && dns.searches().isEmpty() && dns.options().isEmpty() ? null : dns;
  }

  /**
   * {@code kubectl debug} containers, within the wire's bound (more are refused by the contract), each targeting a
   * regular container or none.
   */
  private static List<PodV1.ContainerV1> ephemeral(PodSpec spec) {
    if (spec.getEphemeralContainers() == null) {
      return List.of();
    }
    Set<String> regular = spec.getContainers().stream().map(Container::getName).collect(Collectors.toSet());
    return spec.getEphemeralContainers().stream().limit(PodV1.MAX_EPHEMERAL_CONTAINERS)
        .map(e -> ContainerTranslator.container(asContainer(e),
            regular.contains(e.getTargetContainerName()) ? e.getTargetContainerName() : null))
        .toList();
  }

  /** An ephemeral container as a container: the fields they share, without {@code targetContainerName}. */
  static Container asContainer(EphemeralContainer ephemeral) {
    Container container = JSON.convertValue(ephemeral, Container.class);
    container.getAdditionalProperties().remove("targetContainerName");
    return container;
  }

  /** {@code spec.hostAliases}, within the wire's bounds (more are refused by the contract). */
  private static List<PodV1.HostAliasV1> hostAliases(PodSpec spec) {
    if (spec.getHostAliases() == null) {
      return null;
    }
    List<PodV1.HostAliasV1> aliases = spec.getHostAliases().stream()
        .filter(a -> a.getIp() != null && !a.getIp().isEmpty() && a.getHostnames() != null)
        .map(PodTranslator::hostAlias).filter(a -> !a.hostnames().isEmpty())
        .limit(PodV1.MAX_HOST_ALIASES).toList();
    return aliases.isEmpty() ? null : aliases;
  }

  private static PodV1.HostAliasV1 hostAlias(HostAlias alias) {
    return new PodV1.HostAliasV1(alias.getIp(), alias.getHostnames().stream()
        .filter(h -> h != null && !h.isEmpty()).limit(PodV1.MAX_HOST_ALIASES).toList());
  }

  private static Map<String, String> labels(Map<String, String> labels) {
    if (labels == null || labels.isEmpty()) {
      return null;
    }
    Map<String, String> sorted = new TreeMap<>();
    labels.forEach((k, v) -> sorted.put(k, v == null ? "" : v));
    return sorted;
  }

  /** {@code serviceAccountName}, or its deprecated alias {@code serviceAccount}; null if neither is set. */
  private static String serviceAccount(PodSpec spec) {
    String name = emptyToNull(spec.getServiceAccountName());
    return name != null ? name : emptyToNull(spec.getServiceAccount());
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static List<String> pullSecrets(PodSpec spec) {
    List<String> names = spec.getImagePullSecrets() == null ? List.of()
        : spec.getImagePullSecrets().stream().map(s -> s.getName())
            .filter(n -> n != null && !n.isEmpty()).distinct().toList();
    return names.isEmpty() ? null : names;
  }

  /** Only {@code true} is sent: absent and false mean the same, and the same content must compare equal. */
  private static Boolean optional(Boolean optional) {
    return Boolean.TRUE.equals(optional) ? Boolean.TRUE : null;
  }

  private static List<String> emptyToNull(List<String> list) {
    return list == null || list.isEmpty() ? null : List.copyOf(list);
  }
}
