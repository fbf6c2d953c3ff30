package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.store.impl.XodusEdgeStore;
import io.outpost.testing.Mosquitto;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration change reaches the running sync through {@code modified}, against real brokers: a change that
 * leaves the sync's settings as they are (a container manager's or the store's key) keeps the link up as it is, an
 * invalid one is refused and changes nothing, and a new broker.url moves the link to that broker under the same
 * component.
 */
class ConfigurationChangeTest {
  @TempDir Path dir;

  @Test
  void onlyAChangeOfTheSyncsOwnSettingsTouchesTheLink() throws Exception {
    try (Mosquitto first = Mosquitto.start(dir.resolve("first"));
        Mosquitto second = Mosquitto.start(dir.resolve("second"));
        XodusEdgeStore store = new XodusEdgeStore(dir.resolve("store"))) {
      Map<String, Object> values = Map.of("node_name", "edge-cfg", "broker_url", first.url(), "insecure_plaintext",
          true, "heartbeat_interval_seconds", 1);
      EdgeSyncComponent sync = new EdgeSyncComponent(JoinConfigurationTest.config(values), TestStores.sync(store), null,
          "test");
      try {
        await("connected to the first broker").atMost(Duration.ofSeconds(30)).until(() -> sync.state().connected());

        assertThat(sync.reconfigure(JoinConfigurationTest.config(values))).as("no setting of the sync changed")
            .isFalse();
        assertThat(sync.state().connected()).isTrue();
        Map<String, Object> invalid = new java.util.HashMap<>(values);
        invalid.put("broker_url", "not a url");
        assertThat(sync.reconfigure(JoinConfigurationTest.config(invalid))).as("refused").isFalse();
        assertThat(sync.state().broker()).isEqualTo(first.url());
        assertThat(sync.state().connected()).isTrue();

        Map<String, Object> moved = new java.util.HashMap<>(values);
        moved.put("broker_url", second.url());
        assertThat(sync.reconfigure(JoinConfigurationTest.config(moved))).isTrue();
        assertThat(sync.state().broker()).isEqualTo(second.url());
        await("connected to the second broker").atMost(Duration.ofSeconds(30))
            .until(() -> sync.state().connected());
      } finally {
        sync.deactivate();
      }
    }
  }
}
