package io.outpost.bridge.admission;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.outpost.bridge.kube.EdgeTaint;
import io.outpost.bridge.kube.JsonPatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The no-eviction rule for edge pods: pods that target edge nodes tolerate {@code node.kubernetes.io/unreachable}
 * and {@code node.kubernetes.io/not-ready} (NoExecute) <em>without</em> {@code tolerationSeconds}, so a cut-off
 * site keeps its pods. Kubernetes' DefaultTolerationSeconds plugin adds both with 300 s to every pod before
 * webhooks run, and the taint manager evicts after the shortest matching toleration, so at admission the seconds
 * are removed; on a pod that exists already only additions are allowed, which helps only if it has neither.
 */
final class Tolerations {
  static final List<String> TAINTS = List.of("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready");

  private Tolerations() {}

  /**
   * True if the pod can only run on edge nodes: bound to one, or a nodeSelector on the edge label, or every
   * required node-affinity term requiring it. A pod that may land on a cloud node gets nothing: it should still be
   * evicted from a failed cloud node.
   */
  static boolean targetsEdge(Pod pod, Predicate<String> isEdgeNode, String labelKey, String labelValue) {
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return false;
    }
    if (spec.getNodeName() != null && !spec.getNodeName().isEmpty()) {
      return isEdgeNode.test(spec.getNodeName());
    }
    if (spec.getNodeSelector() != null && labelValue.equals(spec.getNodeSelector().get(labelKey))) {
      return true;
    }
    if (spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null
        || spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
      return false;
    }
    List<NodeSelectorTerm> terms = spec.getAffinity().getNodeAffinity()
        .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
    if (terms == null || terms.isEmpty()) {
      return false;
    }
    for (NodeSelectorTerm term : terms) {
      boolean edgeOnly = false;
      for (NodeSelectorRequirement requirement : term.getMatchExpressions() == null
          ? List.<NodeSelectorRequirement>of() : term.getMatchExpressions()) {
        if (labelKey.equals(requirement.getKey()) && "In".equals(requirement.getOperator())
            && requirement.getValues() != null && List.of(labelValue).equals(requirement.getValues())) {
          edgeOnly = true;
        }
      }
      if (!edgeOnly) {
        return false;
      }
    }
    return true;
  }

  /**
   * What the pod's tolerations need: RFC 6902 operations for an admission response, the tolerations to add, and
   * whether a bounded one remains that only admission could lift.
   */
  record Fix(List<Map<String, Object>> operations, List<Map<String, Object>> additions, boolean needsRemoval) {
    boolean none() {
      return operations.isEmpty();
    }
  }

  /**
   * At admission: remove {@code tolerationSeconds} from tolerations of the two taints and add the missing ones, and
   * add the toleration of the {@link EdgeTaint} unless the pod has one (only pods that target edge nodes are given
   * to this: a pod that could also run in the cloud, or a DaemonSet's pod, never gets it). For
   * an existing pod ({@code admission} false) only additions: {@code needsRemoval} says a bounded toleration
   * remains, which Kubernetes does not let anyone lift on a running pod.
   */
  static Fix fix(Pod pod, boolean admission) {
    return fix(pod, admission, pod.getSpec() != null && pod.getSpec().getTolerations() != null
        && !pod.getSpec().getTolerations().isEmpty());
  }

  /** {@code arrayPresent}: the pod's JSON has a {@code spec.tolerations} array (a JSON Patch must not append to a
   * missing one). */
  static Fix fix(Pod pod, boolean admission, boolean arrayPresent) {
    List<Toleration> tolerations = pod.getSpec() == null || pod.getSpec().getTolerations() == null ? List.of()
        : pod.getSpec().getTolerations();
    List<Map<String, Object>> operations = new ArrayList<>();
    boolean needsRemoval = false;
    List<Map<String, Object>> additions = new ArrayList<>();
    for (String taint : TAINTS) {
      boolean unbounded = false;
      for (int i = 0; i < tolerations.size(); i++) {
        Toleration toleration = tolerations.get(i);
        if (!matches(toleration, taint)) {
          continue;
        }
        if (toleration.getTolerationSeconds() == null) {
          unbounded = true;
        } else if (admission) {
          operations.add(JsonPatch.op("remove", "/spec/tolerations/" + i + "/tolerationSeconds", null));
          unbounded = true;
        } else {
          needsRemoval = true;
        }
      }
      if (!unbounded) {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("key", taint);
        value.put("operator", "Exists");
        value.put("effect", "NoExecute");
        additions.add(value);
      }
    }
    if (!admission && needsRemoval) {
      additions.clear(); // an unbounded one next to a bounded one would not help: the shortest one counts
    }
    if (admission && !EdgeTaint.tolerated(tolerations)) {
      additions.add(EdgeTaint.toleration()); // the pod selects edge nodes: let it onto them
    }
    if (!additions.isEmpty()) {
      if (!arrayPresent) {
        operations.add(JsonPatch.op("add", "/spec/tolerations", additions));
      } else {
        for (Map<String, Object> addition : additions) {
          operations.add(JsonPatch.op("add", "/spec/tolerations/-", addition));
        }
      }
    }
    return new Fix(operations, List.copyOf(additions), needsRemoval);
  }

  /** Whether a toleration covers the taint (key, or an empty key with Exists; effect NoExecute or empty). */
  private static boolean matches(Toleration toleration, String taint) {
    boolean effect = toleration.getEffect() == null || toleration.getEffect().isEmpty()
        || "NoExecute".equals(toleration.getEffect());
    boolean key = taint.equals(toleration.getKey()) || ((toleration.getKey() == null
        || toleration.getKey().isEmpty()) && "Exists".equals(toleration.getOperator()));
    return effect && key;
  }
}
