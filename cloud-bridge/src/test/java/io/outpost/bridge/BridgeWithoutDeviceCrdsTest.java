package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.bridge.config.BridgeConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A cluster where {@code deploy/kubernetes/05-device-crds.yaml} was not applied (a bridge run outside the cluster
 * with only a kubeconfig, say): the API server answers 404 for {@code devices.kubeedge.io}. The mock server serves
 * any resource, so {@link RbacEnforcement} answers as kube-apiserver does for a group it does not serve.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeWithoutDeviceCrdsTest {
  static KubernetesClient client;

  @Test
  void theBridgeRefusesToStartAndSaysWhichManifestOrSettingIsMissing() throws Exception {
    try (RbacEnforcement api = RbacEnforcement.forBridge(client)) {
      api.notServed(request -> request.group().equals("devices.kubeedge.io"));
      try (Bridge bridge = new Bridge(BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", "tcp://127.0.0.1:1883",
          "OUTPOST_HTTP_PORT", "0", "OUTPOST_INSECURE_PLAINTEXT", "true")), api.client(client))) {
        assertThatThrownBy(bridge::start).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("05-device-crds.yaml").hasMessageContaining("OUTPOST_DEVICES=false");
      }
      api.assertNothingDenied();
    }
  }

  @Test
  void withDevicesOffTheBridgeStartsWithoutTheCrds() throws Exception {
    try (RbacEnforcement api = RbacEnforcement.forBridge(client)) {
      api.notServed(request -> request.group().equals("devices.kubeedge.io"));
      try (Bridge bridge = new Bridge(BridgeConfig.from(Map.of("OUTPOST_BROKER_URL", "tcp://127.0.0.1:1",
          "OUTPOST_HTTP_PORT", "0", "OUTPOST_DEVICES", "false",
          "OUTPOST_INSECURE_PLAINTEXT", "true")), api.client(client))) {
        bridge.start(); // returns once every informer has synced
        assertThat(api.requests()).anyMatch(r -> r.resource().equals("pods") && r.verb().equals("list"));
        assertThat(api.requests()).noneMatch(r -> r.group().equals("devices.kubeedge.io"));
      }
      api.assertNothingDenied();
    }
  }
}
