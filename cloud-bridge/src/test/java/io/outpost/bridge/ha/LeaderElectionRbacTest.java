package io.outpost.bridge.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.ApiRequest;
import io.outpost.bridge.FakeEdge;
import io.outpost.bridge.RbacEnforcement;
import io.outpost.bridge.ShippedRbac;
import io.outpost.bridge.ha.LeaderElection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * fabric8's leader election (the elector {@link Bridge} runs, with its Lease lock) under the shipped RBAC: fabric8
 * 7.1's {@code LeaseLock} reads the Lease (GET), creates it (POST) and renews and releases it with a JSON merge patch
 * (PATCH) — never PUT. The mock API server has no RBAC: {@link RbacEnforcement} applies the manifests' roles to the
 * elector's requests, as kube-apiserver would.
 */
@EnableKubernetesMockClient(crud = true)
class LeaderElectionRbacTest {
  static KubernetesClient client;
  private static final Duration LEASE = Duration.ofSeconds(3);

  @AfterEach
  void cleanUp() {
    client.leases().inAnyNamespace().delete();
  }

  @Test
  void theShippedLeaderRoleGrantsEveryVerbTheElectorSends() throws Exception {
    try (RbacEnforcement rbac = RbacEnforcement.forBridge(client)) {
      Election election = Election.start(rbac.client(client), "replica-a");
      await("leading").atMost(FakeEdge.TIMEOUT).untilTrue(election.leading);
      // Renewals: the Lease's renewTime moves while this replica keeps leading.
      await("two renewals").atMost(FakeEdge.TIMEOUT).until(() -> leaseVerbs(rbac).stream()
          .filter("patch"::equals).count() >= 2);
      assertThat(election.leading).isTrue();
      assertThat(election.stopped).hasValue(0);
      election.future.cancel(true); // releaseOnCancel: the Lease is released with one more PATCH
      await("released").atMost(FakeEdge.TIMEOUT).until(() -> "".equals(holder()) || holder() == null);

      assertThat(leaseVerbs(rbac).stream().distinct().toList()).as("what fabric8's LeaseLock sends")
          .containsExactlyInAnyOrder("get", "create", "patch");
      assertThat(rbac.requests()).filteredOn(r -> r.resource().equals("leases"))
          .allSatisfy(r -> assertThat(r.namespace() + "/" + (r.verb().equals("create") ? "outpost-bridge" : r.name()))
              .isEqualTo("outpost-system/outpost-bridge")); // a create is a POST to the collection
      rbac.assertNothingDenied();
    }
  }

  /** The Role as shipped before issue 18 ({@code get, create, update} on leases): leadership ends at the first renewal. */
  @Test
  void underTheFormerRoleTheLeaderLosesItsLeaseAtTheFirstRenewal() throws Exception {
    List<HasMetadata> objects = ShippedRbac.manifests(client).stream().map(o -> o instanceof Role role
        && role.getMetadata().getName().equals("outpost-bridge-leader") ? withLeaseVerbs(role,
            List.of("get", "create", "update")) : o).toList();
    try (RbacEnforcement rbac = new RbacEnforcement(ShippedRbac.of(objects, ShippedRbac.BRIDGE_NAMESPACE,
        ShippedRbac.BRIDGE_ACCOUNT))) {
      Election election = Election.start(rbac.client(client), "replica-a");
      await("leading, then lost").atMost(FakeEdge.TIMEOUT).until(() -> election.stopped.get() > 0);
      assertThat(rbac.denials()).isNotEmpty().allSatisfy(denial -> assertThat(denial).startsWith("PATCH ")
          .contains("cannot patch resource \"leases\" in API group \"coordination.k8s.io\" in the namespace"
              + " \"outpost-system\""));
      election.future.cancel(true);
    }
  }

  private static Role withLeaseVerbs(Role role, List<String> verbs) {
    List<PolicyRule> rules = role.getRules().stream().map(rule -> rule.getResources().contains("leases")
        ? new PolicyRuleBuilder(rule).withVerbs(verbs).build() : rule).toList();
    return new RoleBuilder(role).withRules(rules).build();
  }

  private static List<String> leaseVerbs(RbacEnforcement rbac) {
    return rbac.requests().stream().filter(r -> r.resource().equals("leases")).map(ApiRequest::verb).toList();
  }

  private static String holder() {
    var lease = client.leases().inNamespace("outpost-system").withName("outpost-bridge").get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  /** One elector, configured as {@link Bridge} configures its own. */
  private record Election(CompletableFuture<?> future, AtomicBoolean leading, AtomicInteger stopped) {
    static Election start(KubernetesClient client, String identity) {
      AtomicBoolean leading = new AtomicBoolean();
      AtomicInteger stopped = new AtomicInteger();
      CompletableFuture<?> future = client.leaderElector().withConfig(LeaderElection.config("outpost-system",
          identity, LEASE, new LeaderCallbacks(() -> leading.set(true), () -> {
            leading.set(false);
            stopped.incrementAndGet();
          }, leader -> { }))).build().start();
      return new Election(future, leading, stopped);
    }
  }
}
