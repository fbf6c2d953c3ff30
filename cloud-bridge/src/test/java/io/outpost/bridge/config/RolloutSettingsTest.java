package io.outpost.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RolloutSettingsTest {
  private static final String BROKER = "ssl://mqtt.example.com:8883";

  @Test
  void onByDefaultWithAnOnlineWindowOfTheLeaseDuration() {
    assertThat(BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", BROKER)).rollouts())
        .isEqualTo(new RolloutSettings(true, Duration.ofSeconds(40)));
    assertThat(BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", BROKER, "OUTPOST_LEASE_DURATION_SECONDS", "20"))
        .rollouts().onlineWindow()).as("the Lease's duration").isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void switchedOffAndWindowSetExplicitly() {
    assertThat(BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", BROKER, "OUTPOST_GATEWAY_ROLLOUTS", "false",
        "OUTPOST_ROLLOUT_ONLINE_SECONDS", "45")).rollouts()).isEqualTo(new RolloutSettings(false,
            Duration.ofSeconds(45)));
  }

  @Test
  void badValuesNameTheirKey() {
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", BROKER, "OUTPOST_GATEWAY_ROLLOUTS",
        "yes"))).hasMessageContaining("OUTPOST_GATEWAY_ROLLOUTS");
    assertThatThrownBy(() -> BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", BROKER, "OUTPOST_ROLLOUT_ONLINE_SECONDS",
        "5"))).hasMessageContaining("OUTPOST_ROLLOUT_ONLINE_SECONDS");
  }
}
