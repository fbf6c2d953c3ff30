package io.outpost.bridge.rollout;

import io.outpost.bridge.flow.WorkQueue;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.kube.GatewayAnnotations.Target;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.rollout.RolloutPlan.NodeFacts;
import io.outpost.bridge.rollout.RolloutPlan.NodeState;
import io.outpost.bridge.rollout.RolloutPlan.Other;
import io.outpost.bridge.rollout.RolloutPlan.Result;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles one GatewayRollout, by name, from the caches: gathers each edge node's facts (site label, online — its
 * Ready condition's heartbeat within the online window —, Ready, its {@code outpost.io/gateway-target} and
 * {@code outpost.io/gateway-status} annotations, its pods' fingerprint), asks {@link RolloutPlan} what to do, writes
 * the target annotation on the nodes to assign (a JSON merge patch of only that annotation), the status when it
 * changed, and an Event per transition. An invalid spec is reported (status, Warning Event, metric) and nothing is
 * assigned. A rollout that succeeded for its spec generation is done, like a Job: it is not planned again (another
 * rollout may take its nodes over). A deleted rollout leaves its nodes as they are (removing a target would abort
 * an install). Only the active replica writes anything.
 */
final class RolloutReconciler implements WorkQueue.Work {
  private static final Logger LOG = LoggerFactory.getLogger(RolloutReconciler.class);
  private static final List<String> STATES = List.of(RolloutPlan.UPDATED, RolloutPlan.IN_PROGRESS,
      RolloutPlan.FAILED, RolloutPlan.CONFLICT, RolloutPlan.WAITING, RolloutPlan.PENDING);

  /** A target this replica wrote that the cache may not show yet: the Node's resourceVersion after the write. */
  private record Assigned(Target target, long resourceVersion) {}

  private final KubernetesClient client;
  private final Function<String, GenericKubernetesResource> rollout;
  private final Supplier<? extends Collection<GenericKubernetesResource>> rollouts;
  private final Supplier<? extends Collection<Node>> nodes;
  private final Function<String, List<Pod>> podsOn;
  private final String siteLabel;
  private final Duration onlineWindow;
  private final Function<Node, Instant> lastContact;
  private final Clock clock;
  private final BooleanSupplier active;
  private final RolloutStatus status;
  private final RolloutEvents events;
  private final Metrics metrics;
  private final Map<String, Assigned> assigned = new ConcurrentHashMap<>();
  /** Per rollout, its last plan's count per node state (the gauges read them). */
  private final Map<String, Map<String, Integer>> counts = new ConcurrentHashMap<>();

  RolloutReconciler(KubernetesClient client, Function<String, GenericKubernetesResource> rollout,
      Supplier<? extends Collection<GenericKubernetesResource>> rollouts, Supplier<? extends Collection<Node>> nodes,
      Function<String, List<Pod>> podsOn, String siteLabel, Duration onlineWindow, Clock clock,
      BooleanSupplier active, Metrics metrics) {
    this(client, rollout, rollouts, nodes, podsOn, siteLabel, onlineWindow, RolloutReconciler::readyHeartbeat, clock,
        active, metrics);
  }

  /** As above; {@code lastContact}: when a node was last heard from (null: never), for whether it is online. */
  RolloutReconciler(KubernetesClient client, Function<String, GenericKubernetesResource> rollout,
      Supplier<? extends Collection<GenericKubernetesResource>> rollouts, Supplier<? extends Collection<Node>> nodes,
      Function<String, List<Pod>> podsOn, String siteLabel, Duration onlineWindow,
      Function<Node, Instant> lastContact, Clock clock, BooleanSupplier active, Metrics metrics) {
    this.lastContact = lastContact;
    this.client = client;
    this.rollout = rollout;
    this.rollouts = rollouts;
    this.nodes = nodes;
    this.podsOn = podsOn;
    this.siteLabel = siteLabel;
    this.onlineWindow = onlineWindow;
    this.clock = clock;
    this.active = active;
    this.status = new RolloutStatus(client, metrics, clock);
    this.events = new RolloutEvents(client, metrics, clock);
    this.metrics = metrics;
  }

  @Override
  public void run(String name) {
    if (!active.getAsBoolean()) {
      return; // a standby: the active replica reconciles; this one catches up when it becomes active
    }
    GenericKubernetesResource owner = rollout.apply(name);
    if (owner == null) {
      forget(name); // its nodes keep their targets: they finish (or roll back) by themselves
      return;
    }
    if (owner.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    Map<String, Object> before = status.newest(owner);
    RolloutSpec spec;
    try {
      spec = RolloutSpec.parse(name, owner.getAdditionalProperties().get("spec"));
    } catch (RolloutSpec.Invalid problem) {
      events.invalid(owner, problem.reason(), problem.getMessage());
      status.write(owner, status.invalid(owner, problem, before));
      count(name, Map.of());
      return;
    }
    events.valid(owner);
    if (GatewayRollouts.SUCCEEDED.equals(before.get("phase")) && sameGeneration(owner, before)) {
      // Done, like a Job: what happens to its nodes later (another rollout) is no longer its business.
      if (!counts.containsKey(name) && before.get("updated") instanceof Number updated) {
        count(name, Map.of(RolloutPlan.UPDATED, updated.intValue())); // as the status says (a restarted bridge)
      }
      return;
    }
    Result plan = RolloutPlan.plan(name, spec, facts(), others(name), RolloutStatus.previous(owner, before));
    for (String node : plan.assign()) {
      assign(owner, spec, node, plan.canaries().contains(node));
    }
    announce(owner, plan, before);
    status.write(owner, status.of(owner, plan, before));
    Map<String, Integer> byState = new HashMap<>();
    plan.nodes().forEach(n -> byState.merge(n.state(), 1, Integer::sum));
    count(name, byState);
  }

  /** When the Node's Ready condition was last refreshed (null: never): what a replica knows without heartbeats. */
  static Instant readyHeartbeat(Node node) {
    NodeCondition ready = node.getStatus() == null || node.getStatus().getConditions() == null ? null
        : node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
    return ready == null ? null : instant(ready.getLastHeartbeatTime());
  }

  private List<NodeFacts> facts() {
    Instant since = clock.instant().minus(onlineWindow);
    List<NodeFacts> facts = new ArrayList<>();
    for (Node node : nodes.get()) {
      String name = node.getMetadata().getName();
      NodeCondition ready = node.getStatus() == null || node.getStatus().getConditions() == null ? null
          : node.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst()
              .orElse(null);
      Instant heartbeat = lastContact.apply(node);
      String site = node.getMetadata().getLabels() == null ? null : node.getMetadata().getLabels().get(siteLabel);
      facts.add(new NodeFacts(name, site, heartbeat != null && heartbeat.isAfter(since),
          ready != null && "True".equals(ready.getStatus()), target(node),
          GatewayAnnotations.status(node).orElse(null), PodFingerprint.of(podsOn.apply(name))));
    }
    if (assigned.size() > facts.size()) {
      assigned.keySet().retainAll(facts.stream().map(NodeFacts::name).toList()); // Nodes deleted since
    }
    return facts;
  }

  /** The node's target: as the cache shows it, or as this replica wrote it if the cache does not show that yet. */
  private Target target(Node node) {
    String name = node.getMetadata().getName();
    Assigned written = assigned.get(name);
    if (written != null && version(node) < written.resourceVersion()) {
      return written.target();
    }
    assigned.remove(name);
    return GatewayAnnotations.targetOrEmpty(node).orElse(null);
  }

  private Map<String, Other> others(String name) {
    Map<String, Other> others = new HashMap<>();
    for (GenericKubernetesResource other : rollouts.get()) {
      if (name.equals(other.getMetadata().getName())) {
        continue;
      }
      String sha = "";
      if (other.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec
          && spec.get("artifact") instanceof Map<?, ?> artifact && artifact.get("sha256") instanceof String digest) {
        sha = digest;
      }
      Object phase = other.getAdditionalProperties().get("status") instanceof Map<?, ?> state ? state.get("phase")
          : null;
      others.put(other.getMetadata().getName(), new Other(sha, GatewayRollouts.finished((String) phase)));
    }
    return others;
  }

  private void assign(GenericKubernetesResource owner, RolloutSpec spec, String node, boolean canary) {
    Target target = spec.artifact();
    String patch = client.getKubernetesSerialization().asJson(Map.of("metadata", Map.of("annotations",
        Map.of(GatewayAnnotations.TARGET, GatewayAnnotations.format(target)))));
    Node patched;
    try {
      patched = client.nodes().withName(node).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        LOG.info("GatewayRollout {}: node {} is gone, not assigned", owner.getMetadata().getName(), node);
        return;
      }
      throw e;
    }
    assigned.put(node, new Assigned(target, patched == null ? 0 : version(patched)));
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "nodes/annotations");
    metrics.increment("outpost_bridge_rollout_assignments_total", "kind", canary ? "canary" : "node");
    String message = (canary ? "Canary " : "Node ") + node + " assigned " + target.name() + " " + target.version();
    LOG.info("GatewayRollout {}: {}", owner.getMetadata().getName(), message);
    events.normal(owner, canary ? "CanaryAssigned" : "NodeAssigned", message);
  }

  /** Events for what changed since the newest status: nodes updated or failed, the rollout done. */
  private void announce(GenericKubernetesResource owner, Result plan, Map<String, Object> before) {
    String name = owner.getMetadata().getName();
    Map<String, String> was = new HashMap<>();
    RolloutStatus.previous(owner, before).nodes().forEach((node, entry) -> was.put(node, entry.state()));
    for (NodeState node : plan.nodes()) {
      String previously = was.get(node.name());
      if (RolloutPlan.UPDATED.equals(node.state()) && RolloutPlan.IN_PROGRESS.equals(previously)) {
        metrics.increment("outpost_bridge_rollout_outcomes_total", "outcome", "updated");
        events.normal(owner, "NodeUpdated", "Node " + node.name() + " runs " + node.version() + " ("
            + node.message() + ")");
      } else if (RolloutPlan.FAILED.equals(node.state()) && !RolloutPlan.FAILED.equals(previously)) {
        metrics.increment("outpost_bridge_rollout_outcomes_total", "outcome", "failed");
        LOG.warn("GatewayRollout {}: node {} failed: {}", name, node.name(), node.message());
        events.warning(owner, "NodeFailed", "Node " + node.name() + ": " + node.message());
      }
    }
    Object phase = before.get("phase");
    if (!plan.phase().equals(phase)) {
      LOG.info("GatewayRollout {}: {} → {}: {}", name, phase, plan.phase(), plan.message());
      if (GatewayRollouts.SUCCEEDED.equals(plan.phase())) {
        events.normal(owner, "RolloutSucceeded", plan.message());
      } else if (GatewayRollouts.FAILED.equals(plan.phase())) {
        events.warning(owner, "RolloutFailed", plan.message());
      }
    }
  }

  /** The gauges {@code outpost_bridge_rollout_nodes{rollout,state}} of one rollout. */
  private void count(String name, Map<String, Integer> byState) {
    Map<String, Integer> previous = counts.put(name, Map.copyOf(byState));
    if (previous == null) {
      for (String state : STATES) {
        metrics.gauge("outpost_bridge_rollout_nodes", () -> counts.getOrDefault(name, Map.of())
            .getOrDefault(state, 0), "rollout", name, "state", state);
      }
    }
  }

  private void forget(String name) {
    status.forget(name);
    events.forget(name);
    if (counts.remove(name) != null) {
      STATES.forEach(state -> metrics.removeGauge("outpost_bridge_rollout_nodes", "rollout", name, "state", state));
    }
  }

  /** Whether {@code status} was written for the rollout's current spec generation. */
  private static boolean sameGeneration(GenericKubernetesResource owner, Map<String, Object> status) {
    Long generation = owner.getMetadata().getGeneration();
    return generation != null && status.get("observedGeneration") instanceof Number observed
        && observed.longValue() == generation;
  }

  /** A resourceVersion as a number (the API server's are), 0 if it is not one. */
  private static long version(Node node) {
    try {
      return Long.parseLong(node.getMetadata().getResourceVersion());
    } catch (NumberFormatException | NullPointerException e) {
      return 0;
    }
  }

  private static Instant instant(String time) {
    try {
      return time == null || time.isEmpty() ? null : Instant.parse(time);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
