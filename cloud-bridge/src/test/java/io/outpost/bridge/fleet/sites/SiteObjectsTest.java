package io.outpost.bridge.fleet.sites;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.metrics.Metrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Site objects against the mock API server (CRUD), with explicit times: created for a site, status written when it
 * changed and only then (lastContact at minute granularity), deleted when the site stayed empty for two passes.
 */
@EnableKubernetesMockClient(crud = true)
class SiteObjectsTest {
  static KubernetesClient client;

  private final Metrics metrics = new Metrics();
  private final SiteObjects objects = new SiteObjects(client, metrics, Duration.ofSeconds(40));
  private static final Instant T0 = Instant.parse("2026-12-07T21:00:05Z");

  @AfterEach
  void clean() {
    client.genericKubernetesResources(SiteObjects.SITES).delete();
  }

  private long statusWrites() {
    return metrics.get("outpost_bridge_kube_writes_total", "resource", "sites/status");
  }

  private GenericKubernetesResource site(String name) {
    return client.genericKubernetesResources(SiteObjects.SITES).withName(name).get();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> status(String name) {
    return (Map<String, Object>) site(name).getAdditionalProperties().get("status");
  }

  @Test
  void aSitesStatusIsWrittenWhenItChangesAndNotForEveryHeartbeat() {
    SiteSummary summary = new SiteSummary("site-17", "north", 3, 3, 5, T0);
    objects.sync(Map.of("site-17", summary), T0);
    assertThat(site("site-17").getMetadata().getLabels()).containsEntry(SiteObjects.MANAGED, SiteObjects.MANAGER)
        .containsEntry(SiteObjects.SITE_LABEL, "site-17");
    assertThat(status("site-17")).containsEntry("nodesReady", 3).containsEntry("nodesTotal", 3)
        .containsEntry("pods", 5).containsEntry("region", "north")
        .containsEntry("lastContact", "2026-12-07T21:00:00Z");
    assertThat(statusWrites()).isEqualTo(1);
    String version = site("site-17").getMetadata().getResourceVersion();

    // Heartbeats within the same minute, passes later: nothing to write.
    for (int second = 10; second < 60; second += 10) {
      Instant now = T0.plusSeconds(second);
      objects.sync(Map.of("site-17", new SiteSummary("site-17", "north", 3, 3, 5, now)), now);
    }
    assertThat(statusWrites()).as("no write per heartbeat").isEqualTo(1);
    assertThat(site("site-17").getMetadata().getResourceVersion()).isEqualTo(version);

    // A node not Ready: written, with the condition's transition.
    Instant later = T0.plusSeconds(61);
    objects.sync(Map.of("site-17", new SiteSummary("site-17", "north", 3, 2, 5, later)), later);
    assertThat(statusWrites()).isEqualTo(2);
    assertThat(status("site-17")).containsEntry("nodesReady", 2).containsEntry("lastContact",
        "2026-12-07T21:01:00Z");
    assertThat((List<Map<String, Object>>) status("site-17").get("conditions")).anySatisfy(c -> assertThat(c)
        .containsEntry("type", "NodesReady").containsEntry("status", "False").containsEntry("reason", "NodesNotReady")
        .containsEntry("message", "2 of 3 nodes Ready").containsEntry("lastTransitionTime", "2026-12-07T21:01:06Z"))
        .anySatisfy(c -> assertThat(c).containsEntry("type", "Reachable").containsEntry("status", "True")
            .containsEntry("lastTransitionTime", "2026-12-07T21:00:05Z"));
  }

  @Test
  void aCutOffSiteIsUnreachableOnceItsLastContactIsOlderThanALease() {
    objects.sync(Map.of("site-17", new SiteSummary("site-17", null, 2, 2, 0, T0)), T0);
    Instant cut = T0.plusSeconds(41);
    objects.sync(Map.of("site-17", new SiteSummary("site-17", null, 2, 2, 0, T0)), cut);
    assertThat((List<Map<String, Object>>) status("site-17").get("conditions")).anySatisfy(c -> assertThat(c)
        .containsEntry("type", "Reachable").containsEntry("status", "False").containsEntry("reason", "NoContact"));
    assertThat(statusWrites()).isEqualTo(2);
    objects.sync(Map.of("site-17", new SiteSummary("site-17", null, 2, 2, 0, T0)), cut.plusSeconds(600));
    assertThat(statusWrites()).as("still cut off: nothing new").isEqualTo(2);
  }

  @Test
  void aSiteWithoutNodesForTwoPassesIsDeletedAndOnlyTheBridgesSites() {
    objects.sync(Map.of("site-17", new SiteSummary("site-17", null, 1, 1, 0, T0),
        "Site_B", new SiteSummary("Site_B", null, 1, 1, 0, T0)), T0);
    String odd = SiteObjects.objectName("Site_B");
    assertThat(odd).startsWith("site-b-");
    assertThat(site(odd).getMetadata().getLabels()).containsEntry(SiteObjects.SITE_LABEL, "Site_B");
    client.genericKubernetesResources(SiteObjects.SITES).resource(new io.fabric8.kubernetes.api.model
        .GenericKubernetesResourceBuilder().withApiVersion("outpost.io/v1alpha1").withKind("Site").withNewMetadata()
        .withName("operators-own").endMetadata().build()).create();

    objects.sync(Map.of("site-17", new SiteSummary("site-17", null, 1, 1, 0, T0)), T0.plusSeconds(1));
    assertThat(site(odd)).as("one pass without nodes: kept").isNotNull();
    objects.sync(Map.of("site-17", new SiteSummary("site-17", null, 1, 1, 0, T0)), T0.plusSeconds(2));
    assertThat(site(odd)).as("two passes: deleted").isNull();
    assertThat(site("site-17")).isNotNull();
    assertThat(site("operators-own")).as("not the bridge's").isNotNull();
  }

  @Test
  void aNewActiveReplicaReadsWhatWasWrittenAndWritesNothingNew() {
    objects.sync(Map.of("site-17", new SiteSummary("site-17", null, 1, 1, 0, T0)), T0);
    SiteObjects successor = new SiteObjects(client, metrics, Duration.ofSeconds(40));
    successor.sync(Map.of("site-17", new SiteSummary("site-17", null, 1, 1, 0, T0.plusSeconds(20))),
        T0.plusSeconds(20));
    assertThat(statusWrites()).isEqualTo(1);
  }
}
