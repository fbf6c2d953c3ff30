package io.outpost.bridge.fleet.sites;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.bridge.fleet.sites.SitePlacement.Decision;
import io.outpost.bridge.fleet.sites.SitePlacement.Place;
import io.outpost.bridge.fleet.sites.SitePlacement.Source;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which site a node belongs to, and which labels the bridge may write: operator's label > token > configuration. */
class SitePlacementTest {
  private static final String SITE = "outpost.io/site";
  private static final String ZONE = SitePlacement.ZONE;
  private static final String REGION = SitePlacement.REGION;

  private static Decision decide(Map<String, String> labels, Map<String, String> annotations, Place pin,
      Place claim) {
    return SitePlacement.decide(SITE, labels, annotations, pin, claim);
  }

  @Test
  void aNodeWithNoSiteAnywhereIsLeftAlone() {
    Decision decision = decide(Map.of("outpost.io/edge", "true"), null, null, null);
    assertThat(decision.writes()).isFalse();
    assertThat(decision.site()).isNull();
    assertThat(decision.refusal()).isNull();
  }

  @Test
  void theTokensSiteLabelsANewNodeAndWinsOverItsConfiguration() {
    Decision decision = decide(Map.of(), null, new Place("site-17", "north"), null);
    assertThat(decision.source()).isEqualTo(Source.TOKEN);
    assertThat(decision.labels()).containsExactlyInAnyOrderEntriesOf(Map.of(SITE, "site-17", ZONE, "site-17",
        REGION, "north"));
    assertThat(decision.annotation()).isEqualTo("token:site-17/north");
    assertThat(decide(Map.of(SITE, "site-17", ZONE, "site-17", REGION, "north"),
        Map.of(SitePlacement.SOURCE, "token:site-17/north"), new Place("site-17", "north"), null).writes())
        .as("nothing to write once labelled").isFalse();
  }

  @Test
  void aConfigurationClaimingAnotherSiteThanTheTokenIsRefusedAsSpoofing() {
    Map<String, String> labelled = Map.of(SITE, "site-17", ZONE, "site-17");
    Map<String, String> ours = Map.of(SitePlacement.SOURCE, "token:site-17");
    Decision moved = decide(labelled, ours, new Place("site-17", null), new Place("site-99", null));
    assertThat(moved.refusal()).isEqualTo("site_spoof");
    assertThat(moved.refusalMessage()).contains("site-99").contains("site-17");
    assertThat(moved.writes()).isFalse();
    assertThat(moved.site()).isEqualTo("site-17");
    assertThat(decide(labelled, ours, new Place("site-17", "north"), new Place("site-17", "south")).refusal())
        .as("another region is another place too").isEqualTo("site_spoof");
    assertThat(decide(labelled, ours, new Place("site-17", null), new Place("site-17", null)).refusal())
        .as("the same site is no spoof").isNull();
  }

  @Test
  void theOperatorsLabelWinsAndIsMirroredIntoTheZone() {
    Decision decision = decide(Map.of(SITE, "site-ops"), null, new Place("site-17", "north"),
        new Place("site-18", null));
    assertThat(decision.source()).isEqualTo(Source.LABEL);
    assertThat(decision.site()).isEqualTo("site-ops");
    assertThat(decision.labels()).containsExactly(Map.entry(ZONE, "site-ops"));
    assertThat(decision.annotation()).isEqualTo("label:site-ops");
    assertThat(decision.refusal()).as("the configuration still contradicts the token").isEqualTo("site_spoof");
  }

  @Test
  void anOperatorRelabellingANodeTheBridgeLabelledMovesIt() {
    Decision decision = decide(Map.of(SITE, "site-18", ZONE, "site-17", REGION, "north"),
        Map.of(SitePlacement.SOURCE, "token:site-17/north"), new Place("site-17", "north"), null);
    assertThat(decision.source()).isEqualTo(Source.LABEL);
    assertThat(decision.labels()).as("the zone the bridge wrote follows; the region stays")
        .containsExactly(Map.entry(ZONE, "site-18"));
  }

  @Test
  void labelsAnOperatorSetAreNeverOverwritten() {
    Decision decision = decide(Map.of(ZONE, "eu-west-1a", REGION, "eu-west-1"), null, null,
        new Place("site-18", "north"));
    assertThat(decision.source()).isEqualTo(Source.CONFIG);
    assertThat(decision.labels()).containsExactly(Map.entry(SITE, "site-18"));
  }

  @Test
  void aSiteFromTheConfigurationFollowsItsChanges() {
    Decision decision = decide(Map.of(SITE, "site-18", ZONE, "site-18"), Map.of(SitePlacement.SOURCE,
        "config:site-18"), null, new Place("site-19", null));
    assertThat(decision.source()).isEqualTo(Source.CONFIG);
    assertThat(decision.labels()).containsExactlyInAnyOrderEntriesOf(Map.of(SITE, "site-19", ZONE, "site-19"));
    assertThat(decision.annotation()).isEqualTo("config:site-19");
    assertThat(decide(Map.of(SITE, "site-18"), Map.of(SitePlacement.SOURCE, "config:site-18"), null, null)
        .writes()).as("facts not known (bridge restarted): unchanged").isFalse();
  }

  @Test
  void aClaimThatIsNoLabelValueIsRefused() {
    Decision decision = decide(Map.of(), null, null, new Place("site 17/x", null));
    assertThat(decision.refusal()).isEqualTo("site_invalid");
    assertThat(decision.writes()).isFalse();
  }

  @Test
  void aRecordedTokenSiteThatIsNoLabelValueIsIgnoredAndReported() {
    Decision decision = decide(Map.of(), null, new Place("site 17", null), new Place("site-18", null));
    assertThat(decision.refusal()).isEqualTo("site_record_invalid");
    assertThat(decision.source()).as("as if the token had named none").isEqualTo(Source.CONFIG);
    assertThat(decision.site()).isEqualTo("site-18");
  }

  @Test
  void theSiteLabelMayBeTheZoneLabelItself() {
    Decision decision = SitePlacement.decide(ZONE, Map.of(), null, null, new Place("site-18", null));
    assertThat(decision.labels()).containsExactly(Map.entry(ZONE, "site-18"));
  }
}
