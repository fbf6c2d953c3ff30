package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.config.BridgeConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The bridge's Deployment as shipped ({@code deploy/kubernetes/20-bridge.yaml}): its environment is a configuration
 * the bridge accepts, and it shows the settings of the newer features — multi-site workloads and resource usage for
 * metrics-server — with the values docs/operations.md describes.
 */
@EnableKubernetesMockClient
class ShippedBridgeDeploymentTest {
  static KubernetesClient client;

  @Test
  void theShippedEnvironmentIsAValidConfigurationWithFleetWorkloadsAndEdgeMetrics() {
    Map<String, String> env = environment();
    assertThat(env).containsKeys("OUTPOST_FLEET_WORKLOADS", "OUTPOST_KUBELET_NODE_DOMAIN",
        "OUTPOST_KUBELET_METRICS_USERS", "OUTPOST_KUBELET_STATS_STALE_SECONDS");

    BridgeConfig config = BridgeConfig.from(env);

    assertThat(config.fleetWorkloads()).isTrue();
    assertThat(config.leaderElection()).as("two replicas, one active").isTrue();
    assertThat(config.kubelet()).isNotNull();
    assertThat(config.kubelet().nodeDomain()).isEqualTo("kubelet.outpost.internal");
    assertThat(config.kubelet().metricsUsers()).isEqualTo(Set.of("metrics-server"));
    assertThat(config.kubelet().statsStaleAfter()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.kubelet().address()).as("the kubelet Service's fixed ClusterIP").isEqualTo("10.96.0.250");
  }

  /** The bridge container's environment; a {@code valueFrom} entry as the kubelet would fill it in. */
  private static Map<String, String> environment() {
    Deployment bridge = ShippedRbac.manifests(client).stream().filter(Deployment.class::isInstance)
        .map(Deployment.class::cast).filter(d -> d.getMetadata().getName().equals("outpost-bridge")).findFirst()
        .orElseThrow();
    List<EnvVar> declared = bridge.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar variable : declared) {
      if (variable.getValueFrom() != null) {
        assertThat(variable.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        env.put(variable.getName(), "outpost-bridge-7d9f8-abcde");
      } else {
        env.put(variable.getName(), variable.getValue());
      }
    }
    assertThat(env).as("each variable once").hasSameSizeAs(declared);
    return env;
  }
}
