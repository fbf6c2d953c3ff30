package io.outpost.bridge.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.bridge.kube.GatewayAnnotations.Target;
import io.outpost.bridge.rollout.RolloutPlan.Entry;
import io.outpost.bridge.rollout.RolloutPlan.NodeFacts;
import io.outpost.bridge.rollout.RolloutPlan.NodeState;
import io.outpost.bridge.rollout.RolloutPlan.Other;
import io.outpost.bridge.rollout.RolloutPlan.Previous;
import io.outpost.bridge.rollout.RolloutPlan.Result;
import io.outpost.protocol.RolloutReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The planner, from facts only: canaries, slots, offline nodes, failures, conflicts, pause, success, the pod gate. */
class RolloutPlanTest {
  static final String ROLLOUT = "sync-0-1-1";
  static final String SHA = "a".repeat(64);
  static final String OLD_SHA = "b".repeat(64);

  static Target target(String rollout, String sha) {
    return new Target(rollout, "bundle", "io.outpost.sync", "0.1.1", 1234, sha, "ops-2026", "c2lnbmF0dXJl",
        "https://repo.example.com/sync.jar");
  }

  static RolloutSpec spec(int canary, int maxUnavailable, boolean percent, boolean paused, List<String> sites,
      List<String> nodes) {
    return new RolloutSpec(target(ROLLOUT, SHA), sites, nodes, canary, maxUnavailable, percent, paused);
  }

  static RolloutSpec spec(int canary, int maxUnavailable) {
    return spec(canary, maxUnavailable, false, false, List.of(), List.of());
  }

  static RolloutReport report(String node, String rollout, String sha, String state) {
    return new RolloutReport(1, node, "2026-12-08T00:00:00Z", rollout, "io.outpost.sync", "0.1.1", sha, state,
        state.equals("rolled_back") ? "bundle did not resolve" : null, 0, 0);
  }

  /** A mutable fleet of facts, by name. */
  static final class Fleet {
    final Map<String, NodeFacts> nodes = new HashMap<>();

    Fleet online(String... names) {
      for (String name : names) {
        nodes.put(name, new NodeFacts(name, "north", true, true, null, null, Map.of()));
      }
      return this;
    }

    Fleet offline(String... names) {
      for (String name : names) {
        nodes.put(name, new NodeFacts(name, "north", false, false, null, null, Map.of()));
      }
      return this;
    }

    Fleet with(String name, java.util.function.UnaryOperator<NodeFacts> change) {
      nodes.put(name, change.apply(nodes.get(name)));
      return this;
    }

    /** Writes the targets the plan assigned, as the controller does. */
    Fleet apply(Result plan) {
      plan.assign().forEach(name -> with(name, f -> withTarget(f, target(ROLLOUT, SHA))));
      return this;
    }

    Fleet reports(String name, String state) {
      return with(name, f -> withReport(f, report(name, ROLLOUT, SHA, state)));
    }

    List<NodeFacts> list() {
      return new ArrayList<>(nodes.values());
    }
  }

  static NodeFacts withTarget(NodeFacts f, Target target) {
    return new NodeFacts(f.name(), f.site(), f.online(), f.ready(), target, f.report(), f.pods());
  }

  static NodeFacts withReport(NodeFacts f, RolloutReport report) {
    return new NodeFacts(f.name(), f.site(), f.online(), f.ready(), f.target(), report, f.pods());
  }

  static NodeFacts withOnline(NodeFacts f, boolean online) {
    return new NodeFacts(f.name(), f.site(), online, online, f.target(), f.report(), f.pods());
  }

  static NodeFacts withPods(NodeFacts f, Map<String, String> pods) {
    return new NodeFacts(f.name(), f.site(), f.online(), f.ready(), f.target(), f.report(), pods);
  }

  static Result plan(RolloutSpec spec, Fleet fleet) {
    return plan(spec, fleet, Previous.NONE);
  }

  static Result plan(RolloutSpec spec, Fleet fleet, Previous previous) {
    return RolloutPlan.plan(ROLLOUT, spec, fleet.list(), Map.of(), previous);
  }

  /** What the status keeps of a plan, as the next plan reads it. */
  static Previous previous(Result plan) {
    Map<String, Entry> entries = new HashMap<>();
    plan.nodes().forEach(n -> entries.put(n.name(), new Entry(n.state(), "t", n.pods())));
    return new Previous(plan.canaries(), entries, plan.failure());
  }

  static String state(Result plan, String node) {
    return plan.nodes().stream().filter(n -> n.name().equals(node)).map(NodeState::state).findFirst().orElseThrow();
  }

  static List<String> names(int n) {
    return IntStream.rangeClosed(1, n).mapToObj(i -> String.format("edge-%03d", i)).toList();
  }

  @Test
  void theCanaryGoesFirstAndTheRestWaitUntilItIsUpdated() {
    Fleet fleet = new Fleet().online("edge-c", "edge-a", "edge-b");
    Result first = plan(spec(1, 2), fleet);
    assertThat(first.canaries()).containsExactly("edge-a");
    assertThat(first.assign()).containsExactly("edge-a");
    assertThat(first.phase()).isEqualTo(GatewayRollouts.CANARY);
    fleet.apply(first);

    Result installing = plan(spec(1, 2), fleet.reports("edge-a", "installing"), previous(first));
    assertThat(installing.assign()).as("the rest waits for the canary").isEmpty();
    assertThat(state(installing, "edge-a")).isEqualTo(RolloutPlan.IN_PROGRESS);

    Result canaryDone = plan(spec(1, 2), fleet.reports("edge-a", "installed"), previous(installing));
    assertThat(state(canaryDone, "edge-a")).isEqualTo(RolloutPlan.UPDATED);
    assertThat(canaryDone.assign()).containsExactly("edge-b", "edge-c");
    assertThat(canaryDone.phase()).isEqualTo(GatewayRollouts.PROGRESSING);
    assertThat(canaryDone.canaries()).as("a canary stays one").containsExactly("edge-a");
  }

  @Test
  void canariesPreferOnlineNodes() {
    Fleet fleet = new Fleet().offline("edge-a").online("edge-b", "edge-c");
    Result plan = plan(spec(1, 5), fleet);
    assertThat(plan.canaries()).containsExactly("edge-b");
    assertThat(plan.assign()).containsExactly("edge-b");
    assertThat(state(plan, "edge-a")).isEqualTo(RolloutPlan.WAITING);
  }

  @Test
  void noCanariesWhenZeroAndAtMostMaxUnavailableInFlight() {
    Fleet fleet = new Fleet().online(names(5).toArray(String[]::new));
    Result first = plan(spec(0, 2), fleet);
    assertThat(first.canaries()).isEmpty();
    assertThat(first.phase()).isEqualTo(GatewayRollouts.PROGRESSING);
    assertThat(first.assign()).containsExactly("edge-001", "edge-002");
    fleet.apply(first);

    Result same = plan(spec(0, 2), fleet, previous(first));
    assertThat(same.assign()).as("both slots taken").isEmpty();
    assertThat(same.inProgress()).isEqualTo(2);

    Result next = plan(spec(0, 2), fleet.reports("edge-001", "installed"), previous(same));
    assertThat(next.assign()).as("one slot freed").containsExactly("edge-003");
  }

  @Test
  void aPercentOfTheTargetsRoundsDownAndIsAtLeastOne() {
    assertThat(spec(1, 10, true, false, List.of(), List.of()).slots(100)).isEqualTo(10);
    assertThat(spec(1, 10, true, false, List.of(), List.of()).slots(99)).isEqualTo(9);
    assertThat(spec(1, 10, true, false, List.of(), List.of()).slots(5)).isEqualTo(1);
    assertThat(spec(1, 100, true, false, List.of(), List.of()).slots(7)).isEqualTo(7);
    assertThat(spec(1, 3, false, false, List.of(), List.of()).slots(100)).isEqualTo(3);

    Fleet fleet = new Fleet().online(names(25).toArray(String[]::new));
    Result plan = plan(spec(0, 10, true, false, List.of(), List.of()), fleet);
    assertThat(plan.assign()).hasSize(2); // 10 % of 25 = 2.5
  }

  @Test
  void anOfflineNodeWaitsAndIsAssignedWhenItReturns() {
    Fleet fleet = new Fleet().online("edge-a").offline("edge-b");
    Result first = plan(spec(0, 5), fleet);
    assertThat(first.assign()).containsExactly("edge-a");
    assertThat(first.waiting()).isEqualTo(1);
    assertThat(state(first, "edge-b")).isEqualTo(RolloutPlan.WAITING);
    fleet.apply(first).reports("edge-a", "installed");

    Result stillAway = plan(spec(0, 5), fleet, previous(first));
    assertThat(stillAway.phase()).isEqualTo(GatewayRollouts.PROGRESSING);
    assertThat(stillAway.assign()).isEmpty();

    Result back = plan(spec(0, 5), fleet.with("edge-b", f -> withOnline(f, true)), previous(stillAway));
    assertThat(back.assign()).containsExactly("edge-b");
    fleet.apply(back).reports("edge-b", "installed");
    Result done = plan(spec(0, 5), fleet, previous(back));
    assertThat(done.phase()).isEqualTo(GatewayRollouts.SUCCEEDED);
    assertThat(done.updated()).isEqualTo(2);
  }

  @Test
  void anAssignedNodeThatGoesOfflineHoldsNoSlot() {
    Fleet fleet = new Fleet().online("edge-a", "edge-b", "edge-c");
    Result first = plan(spec(0, 1), fleet);
    assertThat(first.assign()).containsExactly("edge-a");
    fleet.apply(first).with("edge-a", f -> withOnline(f, false));

    Result next = plan(spec(0, 1), fleet, previous(first));
    assertThat(state(next, "edge-a")).isEqualTo(RolloutPlan.IN_PROGRESS);
    assertThat(next.nodes().get(0).message()).contains("finishes or rolls back by itself");
    assertThat(next.assign()).as("edge-a finishes alone").containsExactly("edge-b");
  }

  @Test
  void aFailedNodeStopsTheRolloutAndStaysFailedForThatGeneration() {
    Fleet fleet = new Fleet().online("edge-a", "edge-b", "edge-c");
    Result first = plan(spec(1, 2), fleet);
    fleet.apply(first).reports("edge-a", "rolled_back");

    Result failed = plan(spec(1, 2), fleet, previous(first));
    assertThat(failed.phase()).isEqualTo(GatewayRollouts.FAILED);
    assertThat(failed.assign()).isEmpty();
    assertThat(failed.failed()).isEqualTo(1);
    assertThat(failed.failure()).contains("edge-a").contains("rolled_back").contains("bundle did not resolve");

    // The node reports idle later (restarted): the rollout stays failed until its spec changes.
    fleet.with("edge-a", f -> withReport(f, new RolloutReport(1, "edge-a", "2026-12-08T00:01:00Z", null, null, null,
        null, "idle", null, 0, 0)));
    Result later = plan(spec(1, 2), fleet, previous(failed));
    assertThat(later.phase()).isEqualTo(GatewayRollouts.FAILED);
    assertThat(later.assign()).isEmpty();
  }

  @Test
  void refusedAndFailedReportsFailTooButOnlyForThisRolloutsDigest() {
    for (String state : List.of("refused", "failed")) {
      Fleet fleet = new Fleet().online("edge-a", "edge-b");
      fleet.apply(plan(spec(1, 1), fleet)).reports("edge-a", state);
      assertThat(plan(spec(1, 1), fleet).phase()).as(state).isEqualTo(GatewayRollouts.FAILED);
    }
    Fleet fleet = new Fleet().online("edge-a");
    fleet.with("edge-a", f -> withReport(f, report("edge-a", ROLLOUT, OLD_SHA, "rolled_back")));
    Result plan = plan(spec(1, 1), fleet);
    assertThat(plan.phase()).as("another artifact's rollback").isEqualTo(GatewayRollouts.CANARY);
    assertThat(plan.assign()).containsExactly("edge-a");
    Fleet again = new Fleet().online("edge-a");
    again.with("edge-a", f -> withReport(f, report("edge-a", "an-earlier-rollout", SHA, "rolled_back")));
    Result retry = plan(spec(1, 1), again);
    assertThat(retry.phase()).as("the same artifact rolled back under another rollout: tried again")
        .isEqualTo(GatewayRollouts.CANARY);
    assertThat(retry.assign()).containsExactly("edge-a");
  }

  @Test
  void anotherUnfinishedRolloutsNodeIsAConflict() {
    Fleet fleet = new Fleet().online("edge-a", "edge-b");
    fleet.with("edge-a", f -> withTarget(f, target("other", OLD_SHA)));
    Result running = RolloutPlan.plan(ROLLOUT, spec(0, 5), fleet.list(), Map.of("other", new Other(OLD_SHA, false)),
        Previous.NONE);
    assertThat(state(running, "edge-a")).isEqualTo(RolloutPlan.CONFLICT);
    assertThat(running.assign()).containsExactly("edge-b");
    assertThat(running.message()).contains("1 in another rollout");

    Result finished = RolloutPlan.plan(ROLLOUT, spec(0, 5), fleet.list(), Map.of("other", new Other(OLD_SHA, true)),
        Previous.NONE);
    assertThat(finished.assign()).as("a finished rollout's node is taken over").contains("edge-a");

    Result changed = RolloutPlan.plan(ROLLOUT, spec(0, 5), fleet.list(), Map.of("other", new Other(SHA, true)),
        Previous.NONE);
    assertThat(state(changed, "edge-a")).as("the other rollout's spec changed since").isEqualTo(RolloutPlan.CONFLICT);

    Result gone = RolloutPlan.plan(ROLLOUT, spec(0, 5), fleet.list(), Map.of(), Previous.NONE);
    assertThat(gone.assign()).as("a deleted rollout's node is taken over").contains("edge-a");
  }

  @Test
  void aNewArtifactWaitsForNodesStillOnThePreviousOne() {
    Fleet fleet = new Fleet().online("edge-a", "edge-b");
    fleet.with("edge-a", f -> withTarget(f, target(ROLLOUT, OLD_SHA)))
        .with("edge-a", f -> withReport(f, report("edge-a", ROLLOUT, OLD_SHA, "installing")));
    Result busy = plan(spec(0, 1), fleet);
    assertThat(state(busy, "edge-a")).isEqualTo(RolloutPlan.IN_PROGRESS);
    assertThat(busy.assign()).as("edge-a holds the only slot").isEmpty();

    fleet.with("edge-a", f -> withReport(f, report("edge-a", ROLLOUT, OLD_SHA, "installed")));
    Result done = plan(spec(0, 1), fleet, previous(busy));
    assertThat(done.assign()).as("then the new artifact, in name order").containsExactly("edge-a");
  }

  @Test
  void pausedAssignsNobodyAndInProgressNodesGoOn() {
    Fleet fleet = new Fleet().online("edge-a", "edge-b");
    Result first = plan(spec(0, 1), fleet);
    fleet.apply(first);
    Result paused = plan(spec(0, 1, false, true, List.of(), List.of()), fleet.reports("edge-a", "installed"),
        previous(first));
    assertThat(paused.phase()).isEqualTo(GatewayRollouts.PAUSED);
    assertThat(paused.assign()).isEmpty();
    assertThat(paused.updated()).isEqualTo(1);
  }

  @Test
  void succeededWhenEveryTargetRunsItAndIsReady() {
    Fleet fleet = new Fleet().online("edge-a");
    fleet.apply(plan(spec(1, 1), fleet)).reports("edge-a", "unchanged");
    fleet.with("edge-a", f -> new NodeFacts(f.name(), f.site(), true, false, f.target(), f.report(), f.pods()));
    Result notReady = plan(spec(1, 1), fleet);
    assertThat(state(notReady, "edge-a")).as("installed, Node not Ready").isEqualTo(RolloutPlan.IN_PROGRESS);
    fleet.with("edge-a", f -> withOnline(f, true));
    Result done = plan(spec(1, 1), fleet);
    assertThat(done.phase()).isEqualTo(GatewayRollouts.SUCCEEDED);
    assertThat(done.message()).startsWith("1/1 updated");
  }

  @Test
  void targetsAreTheNamedSitesAndNodes() {
    Fleet fleet = new Fleet();
    fleet.nodes.put("n1", new NodeFacts("n1", "north", true, true, null, null, Map.of()));
    fleet.nodes.put("s1", new NodeFacts("s1", "south", true, true, null, null, Map.of()));
    fleet.nodes.put("w1", new NodeFacts("w1", "west", true, true, null, null, Map.of()));
    fleet.nodes.put("x1", new NodeFacts("x1", null, true, true, null, null, Map.of()));
    assertThat(plan(spec(0, 10, false, false, List.of("north"), List.of("w1")), fleet).nodes())
        .extracting(NodeState::name).containsExactly("n1", "w1");
    assertThat(plan(spec(0, 10), fleet).targets()).isEqualTo(4);
    Result none = plan(spec(0, 10, false, false, List.of("east"), List.of()), fleet);
    assertThat(none.phase()).isEqualTo(GatewayRollouts.PENDING);
    assertThat(none.message()).contains("no edge node is a target");
  }

  @Test
  void nothingAssignableIsPending() {
    Result plan = plan(spec(1, 1), new Fleet().offline("edge-a", "edge-b"));
    assertThat(plan.phase()).isEqualTo(GatewayRollouts.PENDING);
    assertThat(plan.assign()).isEmpty();
    assertThat(plan.waiting()).isEqualTo(2);
    assertThat(plan.canaries()).as("an offline canary waits").containsExactly("edge-a");
  }

  @Test
  void aNodeWhosePodsRestartedDuringTheUpdateFails() {
    Map<String, String> before = Map.of("shop/web-1/app", "uid-1|0|2026-12-08T00:00:00Z",
        "shop/db-1/db", "uid-2|0|2026-12-08T00:00:00Z");
    Fleet fleet = new Fleet().online("edge-a", "edge-b").with("edge-a", f -> withPods(f, before));
    Result first = plan(spec(1, 1), fleet);
    assertThat(first.nodes().get(0).pods()).as("fingerprint taken on assignment").isEqualTo(before);
    fleet.apply(first).reports("edge-a", "installed");

    Result untouched = plan(spec(1, 1), fleet, previous(first));
    assertThat(state(untouched, "edge-a")).isEqualTo(RolloutPlan.UPDATED);

    fleet.with("edge-a", f -> withPods(f, Map.of("shop/web-1/app", "uid-1|1|2026-12-08T00:00:09Z",
        "shop/db-1/db", "uid-2|0|2026-12-08T00:00:00Z")));
    Result restarted = plan(spec(1, 1), fleet, previous(first));
    assertThat(state(restarted, "edge-a")).isEqualTo(RolloutPlan.FAILED);
    assertThat(restarted.phase()).isEqualTo(GatewayRollouts.FAILED);
    assertThat(restarted.failure()).contains("pods were restarted during the update: shop/web-1/app");
  }

  @Test
  void podFingerprintsIgnoreReplacedAndDeletedPods() {
    Map<String, String> before = Map.of("shop/web-1/app", "uid-1|0|t0", "shop/gone/app", "uid-9|0|t0");
    assertThat(PodFingerprint.restarted(before, Map.of("shop/web-1/app", "uid-3|0|t5"))).as("same name, new pod")
        .isEmpty();
    assertThat(PodFingerprint.restarted(before, Map.of("shop/web-1/app", "uid-1|0|t0"))).isEmpty();
    assertThat(PodFingerprint.restarted(before, Map.of("shop/web-1/app", "uid-1|0|t1"))).as("started again")
        .containsExactly("shop/web-1/app");
  }

  @Test
  void aHundredNodesWithCanaryOneAndTenPercentFinishInWaves() {
    Fleet fleet = new Fleet().online(names(100).toArray(String[]::new));
    RolloutSpec spec = spec(1, 10, true, false, List.of(), List.of());
    Previous previous = Previous.NONE;
    List<Integer> waves = new ArrayList<>();
    for (int round = 0; round < 30; round++) {
      Result plan = plan(spec, fleet, previous);
      if (plan.phase().equals(GatewayRollouts.SUCCEEDED)) {
        break;
      }
      assertThat(plan.inProgress()).isLessThanOrEqualTo(10);
      waves.add(plan.assign().size());
      fleet.apply(plan);
      plan.nodes().stream().filter(n -> n.state().equals(RolloutPlan.IN_PROGRESS))
          .forEach(n -> fleet.reports(n.name(), "installed"));
      previous = previous(plan);
    }
    assertThat(plan(spec, fleet, previous).phase()).isEqualTo(GatewayRollouts.SUCCEEDED);
    assertThat(waves.get(0)).as("the canary alone").isEqualTo(1);
    assertThat(waves.subList(1, waves.size())).allMatch(w -> w <= 10);
    assertThat(waves.stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
  }
}
