package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The PodSpec fields an edge node would otherwise ignore: set to a value whose behaviour Outpost does not provide.
 * They travel with the pod ({@code PodV1.unsupported}) and the node refuses to start its containers
 * ({@code CreateContainerConfigError} naming them), so a pod written for a kubelet never runs with part of its spec
 * silently dropped. A field at its API-server default (e.g. {@code dnsPolicy: ClusterFirst},
 * {@code terminationMessagePath: /dev/termination-log}) is not listed: every pod has it (docs/operations.md, "PodSpec
 * coverage", says what those defaults mean on an edge node). Fields this version of fabric8's model does not know
 * (a newer API server's) arrive as additional properties and are listed too. Fields other translators judge
 * (volumes, probes' ports, security context and host namespaces incl. {@code hostUsers}, readiness gates) are not this class's business.
 */
public final class UnsupportedFields {
  /**
   * The resources an edge node accounts for; anything else (GPUs, hugepages, extended resources) is refused, and so
   * is an {@code ephemeral-storage} limit (its request is fine: the scheduler counts it).
   */
  private static final Set<String> RESOURCES = Set.of("cpu", "memory", "ephemeral-storage");
  /** At most this many fields are named; more are summarised (the wire caps the list). */
  static final int MAX_LISTED = 16;

  private UnsupportedFields() {}

  /** The unsupported fields of the pod as {@code "<path>: <why>"}, in spec order; empty if none. */
  public static List<String> of(Pod pod) {
    PodSpec spec = pod.getSpec();
    List<String> found = new ArrayList<>();
    if (spec.getActiveDeadlineSeconds() != null) {
      found.add("spec.activeDeadlineSeconds: not enforced on edge nodes");
    }
    if (spec.getDnsConfig() != null || "None".equals(spec.getDnsPolicy())) {
      found.add("spec.dnsConfig/dnsPolicy None: custom DNS configuration is not applied on edge nodes");
    }
    nonEmpty(found, spec.getHostAliases(), "spec.hostAliases: /etc/hosts entries are not written on edge nodes");
    if (Boolean.TRUE.equals(spec.getShareProcessNamespace())) {
      found.add("spec.shareProcessNamespace: a shared process namespace is not provided on edge nodes");
    }
    if (spec.getRuntimeClassName() != null && !spec.getRuntimeClassName().isEmpty()) {
      found.add("spec.runtimeClassName: runtime classes are not available on edge nodes");
    }
    if (spec.getOs() != null && spec.getOs().getName() != null && !"linux".equals(spec.getOs().getName())) {
      found.add("spec.os.name: edge nodes run linux only");
    }
    nonEmpty(found, spec.getResourceClaims(), "spec.resourceClaims: dynamic resource allocation is not available"
        + " on edge nodes");
    if (hasContent(spec.getResources())) {
      found.add("spec.resources: pod-level resources are not enforced on edge nodes");
    }
    unknown(found, "spec", spec.getAdditionalProperties());
    containers(found, "spec.initContainers", spec.getInitContainers(), true);
    containers(found, "spec.containers", spec.getContainers(), false);
    if (found.size() > MAX_LISTED) {
      int more = found.size() - (MAX_LISTED - 1);
      List<String> cut = new ArrayList<>(found.subList(0, MAX_LISTED - 1));
      cut.add("… and " + more + " more");
      return List.copyOf(cut);
    }
    return List.copyOf(found);
  }

  private static void containers(List<String> found, String list, List<Container> containers, boolean init) {
    if (containers == null) {
      return;
    }
    for (Container c : containers) {
      String at = list + "[" + c.getName() + "]";
      if (init && c.getRestartPolicy() != null) {
        found.add(at + ".restartPolicy: sidecar containers are not supported on edge nodes");
      }
      if (c.getLifecycle() != null && (c.getLifecycle().getPostStart() != null
          || c.getLifecycle().getPreStop() != null || !c.getLifecycle().getAdditionalProperties().isEmpty())) {
        found.add(at + ".lifecycle: postStart/preStop hooks are not run on edge nodes");
      }
      if (Boolean.TRUE.equals(c.getStdin()) || Boolean.TRUE.equals(c.getTty())) {
        found.add(at + ".stdin/tty: attaching to a container is not supported on edge nodes");
      }
      resources(found, at, c.getResources());
      nonEmpty(found, c.getVolumeDevices(), at + ".volumeDevices: block devices are not available on edge nodes");
      mounts(found, at, c.getVolumeMounts());
      grpc(found, at + ".livenessProbe", c.getLivenessProbe());
      grpc(found, at + ".readinessProbe", c.getReadinessProbe());
      grpc(found, at + ".startupProbe", c.getStartupProbe());
      unknown(found, at, c.getAdditionalProperties());
    }
  }

  private static void resources(List<String> found, String at, ResourceRequirements resources) {
    if (resources == null) {
      return;
    }
    Set<String> names = new java.util.TreeSet<>();
    if (resources.getRequests() != null) {
      names.addAll(resources.getRequests().keySet());
    }
    if (resources.getLimits() != null) {
      names.addAll(resources.getLimits().keySet());
    }
    for (String name : names) {
      if (!RESOURCES.contains(name)) {
        found.add(at + ".resources: " + name + reason(name));
      }
    }
    if (resources.getLimits() != null && resources.getLimits().containsKey("ephemeral-storage")) {
      // A request is the scheduler's (it counts against allocatable); a limit is the kubelet's to enforce, and an
      // edge node measures emptyDirs only, not a container's writable layer and logs.
      found.add(at + ".resources.limits.ephemeral-storage: not enforced on edge nodes (use emptyDir.sizeLimit)");
    }
    nonEmpty(found, resources.getClaims(), at + ".resources.claims: dynamic resource allocation is not available"
        + " on edge nodes");
  }

  private static String reason(String resource) {
    return resource.startsWith("hugepages-") ? " is not provided by edge nodes"
        : " is not a resource edge nodes provide";
  }

  private static void mounts(List<String> found, String at, List<VolumeMount> mounts) {
    if (mounts == null) {
      return;
    }
    for (VolumeMount m : mounts) {
      String mount = at + ".volumeMounts[" + m.getName() + "]";
      if (m.getSubPathExpr() != null && !m.getSubPathExpr().isEmpty()) {
        found.add(mount + ".subPathExpr: not expanded on edge nodes");
      }
      if (m.getMountPropagation() != null && !"None".equals(m.getMountPropagation())) {
        found.add(mount + ".mountPropagation: only None is provided on edge nodes");
      }
      if ("Enabled".equals(m.getRecursiveReadOnly())) {
        found.add(mount + ".recursiveReadOnly: recursive read-only mounts are not provided on edge nodes");
      }
    }
  }

  private static void grpc(List<String> found, String at, Probe probe) {
    if (probe != null && probe.getGrpc() != null) {
      found.add(at + ".grpc: gRPC probes are not run on edge nodes");
    }
  }

  private static void unknown(List<String> found, String at, Map<String, Object> fields) {
    if (fields == null) {
      return;
    }
    fields.keySet().stream().sorted().forEach(field ->
        found.add(at + "." + field + ": a field this bridge does not know"));
  }

  private static void nonEmpty(List<String> found, Collection<?> values, String message) {
    if (values != null && !values.isEmpty()) {
      found.add(message);
    }
  }

  private static boolean hasContent(ResourceRequirements resources) {
    return resources != null && ((resources.getRequests() != null && !resources.getRequests().isEmpty())
        || (resources.getLimits() != null && !resources.getLimits().isEmpty())
        || (resources.getClaims() != null && !resources.getClaims().isEmpty()));
  }
}
