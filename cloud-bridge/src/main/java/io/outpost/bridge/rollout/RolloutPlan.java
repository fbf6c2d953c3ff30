package io.outpost.bridge.rollout;

import io.outpost.bridge.kube.GatewayAnnotations.Target;
import io.outpost.protocol.RolloutReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a GatewayRollout should do now, from facts only (no Kubernetes I/O): each target node's state, the nodes to
 * assign the artifact to, the phase and its message. Level-based: the same facts give the same plan.
 *
 * <p>Per node: <b>Updated</b> when it reports the artifact's digest installed (or unchanged) and its Node is Ready
 * and none of its pods' containers restarted since it was assigned; <b>Failed</b> when it reports the digest rolled
 * back, refused or failed for this rollout (or its pods restarted); <b>Conflict</b> when another rollout that still
 * exists has it assigned (one rollout at a time per node; a finished rollout's node, with the same digest, may be taken
 * over); <b>InProgress</b> when it is assigned the artifact and has not finished (or still works on an
 * artifact this rollout assigned before its spec changed); <b>Waiting</b> when it is neither and
 * offline or not Ready; else <b>Pending</b>.
 *
 * <p>The rollout: canaries first (the first {@code canary} targets by name, online ones preferred; once assigned a
 * canary stays one), the rest only once every canary is updated; a new node is assigned only while fewer than
 * {@code maxUnavailable} assigned nodes are online and unfinished (an offline assigned node finishes or rolls back by
 * itself: it holds no slot); only online, Ready nodes are assigned. One failed node stops the rollout for its spec
 * generation: nobody else is assigned (the nodes assigned already finish by themselves). Paused assigns nobody.
 */
public final class RolloutPlan {
  public static final String UPDATED = "Updated";
  public static final String IN_PROGRESS = "InProgress";
  public static final String FAILED = "Failed";
  public static final String CONFLICT = "Conflict";
  public static final String WAITING = "Waiting";
  public static final String PENDING = "Pending";

  /**
   * A target candidate as the caches show it.
   *
   * @param online heard from recently
   * @param target its assigned gateway target, or null
   * @param report its newest rollout report, or null
   * @param pods its pods' fingerprint now ({@link PodFingerprint})
   */
  public record NodeFacts(String name, String site, boolean online, boolean ready, Target target,
      RolloutReport report, Map<String, String> pods) {}

  /** Another GatewayRollout that exists: the digest it assigns and whether it is finished. */
  public record Other(String sha256, boolean finished) {}

  /** What the status kept of a node: its state, since when, and its pods' fingerprint when it was assigned. */
  public record Entry(String state, String since, Map<String, String> pods) {}

  /**
   * What the previous status said: its canaries, its node entries and — if it stopped on a failure for the current
   * spec generation — that failure's message (a failure stays until the spec changes).
   */
  public record Previous(List<String> canaries, Map<String, Entry> nodes, String failure) {
    public static final Previous NONE = new Previous(List.of(), Map.of(), null);
  }

  /** One target's state; {@code pods}: the fingerprint to keep (taken when it was assigned), or empty. */
  public record NodeState(String name, String state, String version, String message, Map<String, String> pods) {}

  /** The plan: every target's state (by name), the nodes to assign now, the phase and the counts. */
  public record Result(String phase, String message, String failure, List<NodeState> nodes, List<String> assign,
      List<String> canaries, int updated, int inProgress, int failed, int waiting, int conflicts) {
    public int targets() {
      return nodes.size();
    }
  }

  private RolloutPlan() {}

  /**
   * The plan for the rollout {@code rollout} with {@code spec}, over every edge node's {@code facts}; {@code others}:
   * the other GatewayRollouts that exist, by name.
   */
  public static Result plan(String rollout, RolloutSpec spec, List<NodeFacts> facts, Map<String, Other> others,
      Previous previous) {
    String sha = spec.artifact().sha256();
    List<NodeFacts> targets = facts.stream().filter(f -> spec.selects(f.name(), f.site()))
        .sorted(Comparator.comparing(NodeFacts::name)).toList();
    List<NodeState> states = new ArrayList<>();
    String failure = previous.failure();
    for (NodeFacts node : targets) {
      NodeState state = state(rollout, sha, node, others, previous.nodes().get(node.name()));
      states.add(state);
      if (FAILED.equals(state.state()) && failure == null) {
        failure = "node " + node.name() + ": " + state.message();
      }
    }
    List<String> canaries = canaries(spec.canary(), targets, states, previous.canaries());
    int updated = count(states, UPDATED);
    List<String> assign = new ArrayList<>();
    String phase;
    String why;
    if (targets.isEmpty()) {
      phase = GatewayRollouts.PENDING;
      why = "no edge node is a target";
    } else if (updated == targets.size()) {
      phase = GatewayRollouts.SUCCEEDED;
      why = "every target runs " + spec.artifact().name() + " " + spec.artifact().version();
    } else if (failure != null) {
      phase = GatewayRollouts.FAILED;
      why = failure + "; nobody else is assigned (edit the spec to go on)";
    } else if (spec.paused()) {
      phase = GatewayRollouts.PAUSED;
      why = "paused: nobody is assigned";
    } else {
      boolean canariesDone = canaries.stream().allMatch(c -> UPDATED.equals(stateOf(states, c)));
      long inFlight = 0;
      for (int i = 0; i < targets.size(); i++) {
        if (IN_PROGRESS.equals(states.get(i).state()) && targets.get(i).online()) {
          inFlight++;
        }
      }
      long slots = spec.slots(targets.size()) - inFlight;
      for (int i = 0; i < targets.size() && assign.size() < slots; i++) {
        NodeFacts node = targets.get(i);
        if (PENDING.equals(states.get(i).state()) && (canariesDone || canaries.contains(node.name()))) {
          assign.add(node.name());
          states.set(i, new NodeState(node.name(), IN_PROGRESS, version(node.report()), "assigned",
              node.pods()));
        }
      }
      boolean started = states.stream().anyMatch(s -> !PENDING.equals(s.state()) && !WAITING.equals(s.state())
          && !CONFLICT.equals(s.state()));
      phase = !started ? GatewayRollouts.PENDING : canariesDone ? GatewayRollouts.PROGRESSING
          : GatewayRollouts.CANARY;
      why = !started ? "no target can be assigned yet (offline, not Ready or in another rollout)"
          : canariesDone ? "updating the targets, at most " + spec.slots(targets.size()) + " at once"
          : "updating the canaries " + canaries + " first";
    }
    int inProgress = count(states, IN_PROGRESS);
    int failed = count(states, FAILED);
    int waiting = count(states, WAITING);
    int conflicts = count(states, CONFLICT);
    String message = updated + "/" + targets.size() + " updated, " + inProgress + " in progress, " + failed
        + " failed, " + waiting + " waiting" + (conflicts > 0 ? ", " + conflicts + " in another rollout" : "")
        + ": " + why;
    return new Result(phase, message, failure, List.copyOf(states), List.copyOf(assign), canaries, updated,
        inProgress, failed, waiting, conflicts);
  }

  private static NodeState state(String rollout, String sha, NodeFacts node, Map<String, Other> others,
      Entry previous) {
    Target target = node.target();
    RolloutReport report = node.report();
    boolean ours = target != null && rollout.equals(target.rollout()) && sha.equals(target.sha256());
    boolean reportsOurs = report != null && sha.equals(report.sha256());
    Map<String, String> kept = previous == null || previous.pods() == null ? Map.of() : previous.pods();
    String version = version(report);
    if (reportsOurs && report.succeeded()) {
      if (!node.ready()) {
        return new NodeState(node.name(), ours ? IN_PROGRESS : WAITING, version, report.state()
            + "; waiting for the Node to be Ready", kept);
      }
      List<String> restarted = PodFingerprint.restarted(kept, node.pods());
      if (!restarted.isEmpty()) {
        return new NodeState(node.name(), FAILED, version, "pods were restarted during the update: "
            + String.join(", ", restarted.subList(0, Math.min(5, restarted.size()))), kept);
      }
      return new NodeState(node.name(), UPDATED, version, report.state(), Map.of());
    }
    // A failure counts only as this rollout's (the same artifact may have failed under another one, whose cause the
    // operator may have fixed: the node tries again for this rollout).
    if (reportsOurs && report.isFinal() && rollout.equals(report.rollout())) {
      return new NodeState(node.name(), FAILED, version, report.state() + (report.reason() == null ? ""
          : " — " + report.reason()), kept);
    }
    if (target != null && !rollout.equals(target.rollout())) {
      Other other = others.get(target.rollout());
      if (other != null && (!other.finished() || !other.sha256().equals(target.sha256()))) {
        return new NodeState(node.name(), CONFLICT, version, "assigned by GatewayRollout " + target.rollout()
            + ", which is not finished: one rollout at a time per node", Map.of());
      }
    }
    if (target != null && rollout.equals(target.rollout()) && !ours && !(report != null
        && target.sha256().equals(report.sha256()) && report.isFinal())) {
      // The spec's artifact changed while the node worked on the previous one: it holds its slot until it is done.
      return new NodeState(node.name(), IN_PROGRESS, version, "finishing this rollout's previous artifact ("
          + target.name() + " " + target.version() + ")" + (node.online() ? "" : "; offline"), kept);
    }
    if (ours) {
      String progress;
      if (reportsOurs && "transferring".equals(report.state())) {
        progress = "transferring, " + report.received() + "/" + report.chunks() + " chunks";
      } else if (reportsOurs) {
        progress = report.state();
      } else {
        progress = "assigned";
      }
      return new NodeState(node.name(), IN_PROGRESS, version, node.online() ? progress : progress
          + "; offline: the node finishes or rolls back by itself and reports when it is back", kept);
    }
    if (!node.online() || !node.ready()) {
      return new NodeState(node.name(), WAITING, version, node.online() ? "not Ready" : "offline", Map.of());
    }
    return new NodeState(node.name(), PENDING, version, "waiting for its turn", Map.of());
  }

  /**
   * The canaries: those of the previous status that are still targets and were assigned (they stay canaries), filled
   * up to {@code count} in name order from the nodes assigned already, then the assignable ones, then the offline.
   */
  private static List<String> canaries(int count, List<NodeFacts> targets, List<NodeState> states,
      List<String> before) {
    Set<String> chosen = new LinkedHashSet<>();
    for (String name : before) {
      String state = stateOf(states, name);
      if (chosen.size() < count && (IN_PROGRESS.equals(state) || UPDATED.equals(state) || FAILED.equals(state))) {
        chosen.add(name);
      }
    }
    for (List<String> rank : List.of(List.of(IN_PROGRESS, FAILED), List.of(PENDING), List.of(WAITING))) {
      for (NodeState state : states) {
        if (chosen.size() < count && rank.contains(state.state())) {
          chosen.add(state.name());
        }
      }
    }
    return List.copyOf(chosen);
  }

  private static String stateOf(List<NodeState> states, String name) {
    return states.stream().filter(s -> s.name().equals(name)).map(NodeState::state).findFirst().orElse(null);
  }

  private static int count(List<NodeState> states, String state) {
    return (int) states.stream().filter(s -> state.equals(s.state())).count();
  }

  private static String version(RolloutReport report) {
    return report == null ? null : report.version();
  }
}
