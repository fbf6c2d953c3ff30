package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.Codec;
import io.outpost.protocol.NodeReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The site and region named in the node's configuration reach its heartbeat's facts, as optional wire fields. */
class NodeSiteTest {
  @TempDir Path dir;

  private NodeReport heartbeat(Map<String, Object> values) {
    Settings settings = Settings.from(JoinConfigurationTest.config(values));
    NodeStatusSettings status = NodeStatusSettings.from(NodeStatusSettings.DEFAULT_EVICTION_HARD, "", "", 0, dir, "");
    return new NodeFacts(settings.node(), "1.0.0", settings.maxPods(), status, Clock.systemUTC(), settings.site(),
        settings.region()).report(true, "ready", null);
  }

  @Test
  void theConfiguredSiteAndRegionAreInTheNodesFacts() throws Exception {
    NodeReport report = heartbeat(Map.of("broker_url", "ssl://broker.example.net:8883", "site", " site-17 ",
        "region", "north"));
    assertThat(report.info().site()).isEqualTo("site-17");
    assertThat(report.info().region()).isEqualTo("north");
    Codec codec = new Codec();
    String json = new String(codec.encode(report), StandardCharsets.UTF_8);
    assertThat(json).contains("\"site\":\"site-17\"").contains("\"region\":\"north\"");
    assertThat(codec.decode(json.getBytes(StandardCharsets.UTF_8), NodeReport.class).info())
        .isEqualTo(report.info());
  }

  @Test
  void withoutASiteTheFactsCarryNoneAndTheWireFormatIsAsBefore() {
    NodeReport report = heartbeat(Map.of("broker_url", "ssl://broker.example.net:8883"));
    assertThat(report.info().site()).isNull();
    assertThat(report.info().region()).isNull();
    String json = new String(new Codec().encode(report), StandardCharsets.UTF_8);
    assertThat(json).as("absent, not null: a bridge of an older release sees the facts it knew")
        .doesNotContain("\"site\"").doesNotContain("\"region\"");
  }

  @Test
  void aSiteThatIsNoLabelValueIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> Settings.from(JoinConfigurationTest.config(Map.of("broker_url",
        "ssl://broker.example.net:8883", "site", "site 17/a"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("site 'site 17/a'");
    assertThatThrownBy(() -> Settings.from(JoinConfigurationTest.config(Map.of("broker_url",
        "ssl://broker.example.net:8883", "site", "s", "region", "x".repeat(64)))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("region '");
    assertThatThrownBy(() -> Settings.from(JoinConfigurationTest.config(Map.of("broker_url",
        "ssl://broker.example.net:8883", "region", "north"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without a site");
  }

  @Test
  void aChangedSiteIsAChangeOfTheSyncSettings() {
    Settings a = Settings.from(JoinConfigurationTest.config(Map.of("broker_url", "ssl://b.example.net:8883",
        "site", "site-17")));
    Settings b = Settings.from(JoinConfigurationTest.config(Map.of("broker_url", "ssl://b.example.net:8883",
        "site", "site-18")));
    assertThat(a).as("the link reconnects and reports the new site").isNotEqualTo(b);
  }
}
