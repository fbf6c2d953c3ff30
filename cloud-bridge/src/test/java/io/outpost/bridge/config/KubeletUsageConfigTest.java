package io.outpost.bridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The kubelet API's settings for metrics-server: per-node names, metrics-only users, staleness. */
class KubeletUsageConfigTest {

  private static KubeletConfig kubelet(String... pairs) {
    Map<String, String> env = new HashMap<>(Map.of("OUTPOST_BROKER_URL", "ssl://broker.example:8883",
        "OUTPOST_KUBELET_CLIENT_CA_FILE", "/ca.crt", "OUTPOST_KUBELET_ADDRESS", "10.0.0.5",
        "OUTPOST_KUBELET_CERT_FILE", "/tls.crt", "OUTPOST_KUBELET_KEY_FILE", "/tls.key"));
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return BridgeConfig.from(env).kubelet();
  }

  @Test
  void byDefaultNoNodeIsNamedNoOneReadsUsageOnlyAndFiguresGoStaleAfterAMinute() {
    KubeletConfig config = kubelet();
    assertThat(config.nodeDomain()).isNull();
    assertThat(config.metricsUsers()).isEmpty();
    assertThat(config.statsStaleAfter()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.nodeOfHost("edge-1.kubelet.example:10250")).isNull();
  }

  @Test
  void theHostNamesTheNodeUnderTheDomainWithAnyPortAndCase() {
    KubeletConfig config = kubelet("OUTPOST_KUBELET_NODE_DOMAIN", "Kubelet.Example", "OUTPOST_KUBELET_METRICS_USERS",
        "metrics-server, prometheus", "OUTPOST_KUBELET_STATS_STALE_SECONDS", "90");
    assertThat(config.metricsUsers()).isEqualTo(Set.of("metrics-server", "prometheus"));
    assertThat(config.statsStaleAfter()).isEqualTo(Duration.ofSeconds(90));
    assertThat(config.nodeOfHost("edge-1.kubelet.example:10250")).isEqualTo("edge-1");
    assertThat(config.nodeOfHost("EDGE-1.site-a.KUBELET.example.")).isEqualTo("edge-1.site-a");
    assertThat(config.nodeOfHost("kubelet.example")).isNull();
    assertThat(config.nodeOfHost("edge-1.kubelet.example.evil")).isNull();
    assertThat(config.nodeOfHost("10.0.0.5:10250")).isNull();
    assertThat(config.nodeOfHost(null)).isNull();
  }

  @Test
  void aDomainThatIsNoDnsNameOrAStalenessOutOfRangeIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> kubelet("OUTPOST_KUBELET_NODE_DOMAIN", "10.0.0.5"))
        .hasMessageContaining("OUTPOST_KUBELET_NODE_DOMAIN");
    assertThatThrownBy(() -> kubelet("OUTPOST_KUBELET_NODE_DOMAIN", "*.kubelet.example"))
        .hasMessageContaining("OUTPOST_KUBELET_NODE_DOMAIN");
    assertThatThrownBy(() -> kubelet("OUTPOST_KUBELET_STATS_STALE_SECONDS", "1"))
        .hasMessageContaining("OUTPOST_KUBELET_STATS_STALE_SECONDS");
  }
}
