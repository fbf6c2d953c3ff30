package io.outpost.bridge.rollout;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.rollout.RolloutPlan.Entry;
import io.outpost.bridge.rollout.RolloutPlan.NodeState;
import io.outpost.bridge.rollout.RolloutPlan.Previous;
import io.outpost.bridge.rollout.RolloutPlan.Result;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A GatewayRollout's status: phase and message, the counts, the canaries, an entry per target node that is not
 * updated (failed first, then in progress — with the pods' fingerprint taken when it was assigned — conflicts,
 * waiting, pending; at most {@value #MAX_NODES}) with the time it entered its state, and the conditions
 * {@code Progressing}, {@code Complete} and {@code Failed} (lastTransitionTime kept while a condition's status stays).
 * Written through the status subresource (a JSON patch setting the whole status) only when it differs from what the
 * cache shows and from what this replica wrote last; what was written last is also what the next plan starts from
 * (the cache may not show it yet).
 */
final class RolloutStatus {
  static final int MAX_NODES = 200;
  static final String NODE_FAILED = "NodeFailed";
  static final String INVALID_SPEC = "InvalidSpec";
  private static final List<String> ORDER = List.of(RolloutPlan.FAILED, RolloutPlan.IN_PROGRESS,
      RolloutPlan.CONFLICT, RolloutPlan.WAITING, RolloutPlan.PENDING);

  private record Written(String uid, Object status) {}

  private final KubernetesClient client;
  private final Metrics metrics;
  private final Clock clock;
  private final Map<String, Written> lastWritten = new ConcurrentHashMap<>();

  RolloutStatus(KubernetesClient client, Metrics metrics, Clock clock) {
    this.client = client;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** The newest status of the rollout: the one this replica wrote last, or else the cache's. */
  @SuppressWarnings("unchecked")
  Map<String, Object> newest(GenericKubernetesResource owner) {
    Written last = lastWritten.get(owner.getMetadata().getName());
    Object status = last != null && last.uid().equals(owner.getMetadata().getUid()) ? last.status()
        : owner.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }

  /** What the plan starts from: the canaries, node entries and a failure of this spec generation, if any. */
  static Previous previous(GenericKubernetesResource owner, Map<String, Object> status) {
    List<String> canaries = new ArrayList<>();
    if (status.get("canaries") instanceof List<?> list) {
      list.stream().filter(String.class::isInstance).map(String.class::cast).forEach(canaries::add);
    }
    Map<String, Entry> nodes = new HashMap<>();
    if (status.get("nodes") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> entry && entry.get("name") instanceof String name) {
          Map<String, String> pods = new LinkedHashMap<>();
          if (entry.get("pods") instanceof Map<?, ?> fingerprint) {
            fingerprint.forEach((k, v) -> pods.put(String.valueOf(k), String.valueOf(v)));
          }
          nodes.put(name, new Entry(String.valueOf(entry.get("state")), (String) entry.get("since"), pods));
        }
      }
    }
    String failure = null;
    Long generation = owner.getMetadata().getGeneration();
    Map<String, Object> failed = condition(status, "Failed");
    if ("True".equals(failed.get("status")) && NODE_FAILED.equals(failed.get("reason"))
        && failed.get("observedGeneration") instanceof Number observed && generation != null
        && observed.longValue() == generation) {
      failure = String.valueOf(failed.get("message"));
    }
    return new Previous(canaries, nodes, failure);
  }

  /** The status for {@code plan}, {@code before} being the newest status. */
  Map<String, Object> of(GenericKubernetesResource owner, Result plan, Map<String, Object> before) {
    Long generation = owner.getMetadata().getGeneration();
    Map<String, Map<String, Object>> was = entries(before);
    String now = now();
    List<Map<String, Object>> nodes = plan.nodes().stream().filter(n -> !RolloutPlan.UPDATED.equals(n.state()))
        .sorted(Comparator.comparingInt((NodeState n) -> ORDER.indexOf(n.state())).thenComparing(NodeState::name))
        .limit(MAX_NODES).map(n -> entry(n, was.get(n.name()), now)).toList();
    boolean failed = GatewayRollouts.FAILED.equals(plan.phase());
    boolean running = !GatewayRollouts.finished(plan.phase()) && !GatewayRollouts.PAUSED.equals(plan.phase());
    List<Map<String, Object>> conditions = List.of(
        condition("Progressing", running, plan.phase(), plan.message(), generation),
        condition("Complete", GatewayRollouts.SUCCEEDED.equals(plan.phase()), plan.phase(), plan.message(),
            generation),
        failed ? condition("Failed", true, NODE_FAILED, plan.failure(), generation)
            : condition("Failed", false, "NoFailure", "no target failed", generation));
    Map<String, Object> status = new LinkedHashMap<>();
    if (generation != null) {
      status.put("observedGeneration", generation);
    }
    status.put("phase", plan.phase());
    status.put("message", clip(plan.message()));
    status.put("targets", plan.targets());
    status.put("updated", plan.updated());
    status.put("inProgress", plan.inProgress());
    status.put("failed", plan.failed());
    status.put("waiting", plan.waiting());
    status.put("canaries", plan.canaries());
    status.put("nodes", nodes);
    status.put("conditions", keepTransitionTimes(conditions, before));
    return status;
  }

  /** The status of a rollout whose spec is invalid: phase Failed, condition Failed with reason InvalidSpec. */
  Map<String, Object> invalid(GenericKubernetesResource owner, RolloutSpec.Invalid problem,
      Map<String, Object> before) {
    Long generation = owner.getMetadata().getGeneration();
    String message = "invalid spec: " + problem.getMessage();
    Map<String, Object> status = new LinkedHashMap<>();
    if (generation != null) {
      status.put("observedGeneration", generation);
    }
    status.put("phase", GatewayRollouts.FAILED);
    status.put("message", clip(message));
    status.put("targets", 0);
    status.put("updated", 0);
    status.put("inProgress", 0);
    status.put("failed", 0);
    status.put("waiting", 0);
    status.put("canaries", before.getOrDefault("canaries", List.of()));
    status.put("nodes", before.getOrDefault("nodes", List.of()));
    status.put("conditions", keepTransitionTimes(List.of(
        condition("Progressing", false, INVALID_SPEC, message, generation),
        condition("Complete", false, INVALID_SPEC, message, generation),
        condition("Failed", true, INVALID_SPEC, message, generation)), before));
    return status;
  }

  /** Writes {@code computed} unless the cache or the last write shows it already; true if it wrote. */
  boolean write(GenericKubernetesResource owner, Map<String, Object> computed) {
    // As the cache would show it (numbers as JSON reads them), so that equal means equal.
    Object status = client.getKubernetesSerialization().unmarshal(client.getKubernetesSerialization()
        .asJson(computed), Map.class);
    if (status.equals(owner.getAdditionalProperties().get("status")) || status.equals(newest(owner))) {
      return false;
    }
    String name = owner.getMetadata().getName();
    // A JSON patch that sets the whole status ("add" replaces a member that exists): lists are replaced, never merged.
    client.genericKubernetesResources(GatewayRollouts.CONTEXT).withName(name).subresource("status").patch(
        PatchContext.of(PatchType.JSON), client.getKubernetesSerialization().asJson(List.of(Map.of("op", "add",
            "path", "/status", "value", status))));
    lastWritten.put(name, new Written(owner.getMetadata().getUid(), status));
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "gatewayrollouts/status");
    return true;
  }

  void forget(String name) {
    lastWritten.remove(name);
  }

  private static Map<String, Object> entry(NodeState node, Map<String, Object> was, String now) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("name", node.name());
    entry.put("state", node.state());
    if (node.version() != null) {
      entry.put("version", node.version());
    }
    entry.put("message", clip(node.message()));
    entry.put("since", was != null && node.state().equals(was.get("state")) && was.get("since") != null
        ? was.get("since") : now);
    if (!node.pods().isEmpty()) {
      entry.put("pods", node.pods());
    }
    return entry;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> entries(Map<String, Object> status) {
    Map<String, Map<String, Object>> entries = new HashMap<>();
    if (status.get("nodes") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> entry && entry.get("name") instanceof String name) {
          entries.put(name, (Map<String, Object>) entry);
        }
      }
    }
    return entries;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> condition(Map<String, Object> status, String type) {
    if (status.get("conditions") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> condition && type.equals(condition.get("type"))) {
          return (Map<String, Object>) condition;
        }
      }
    }
    return Map.of();
  }

  private Map<String, Object> condition(String type, boolean status, String reason, String message,
      Long generation) {
    Map<String, Object> condition = new LinkedHashMap<>();
    condition.put("type", type);
    condition.put("status", status ? "True" : "False");
    condition.put("reason", reason);
    condition.put("message", clip(message));
    condition.put("lastTransitionTime", now());
    if (generation != null) {
      condition.put("observedGeneration", generation);
    }
    return condition;
  }

  /** A condition whose status did not change keeps the time it last changed. */
  private static List<Map<String, Object>> keepTransitionTimes(List<Map<String, Object>> conditions,
      Map<String, Object> before) {
    for (Map<String, Object> condition : conditions) {
      Map<String, Object> previous = condition(before, (String) condition.get("type"));
      if (Objects.equals(previous.get("status"), condition.get("status"))
          && previous.get("lastTransitionTime") != null) {
        condition.put("lastTransitionTime", previous.get("lastTransitionTime"));
      }
    }
    return conditions;
  }

  private String now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static String clip(String message) {
    return message == null ? "" : message.length() > 1024 ? message.substring(0, 1024) : message;
  }
}
