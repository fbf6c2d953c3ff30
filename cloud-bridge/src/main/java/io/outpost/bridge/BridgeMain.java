package io.outpost.bridge;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.concurrent.CountDownLatch;

/** The bridge's single composition root: configuration from the environment, Kubernetes from fabric8 discovery. */
public final class BridgeMain {
  private BridgeMain() {}

  public static void main(String[] args) throws Exception {
    BridgeConfig config;
    try {
      config = BridgeConfig.fromEnvironment();
    } catch (IllegalArgumentException e) {
      System.err.println("outpost-bridge: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    Bridge bridge = new Bridge(config, client);
    // A bridge that lost the leadership has closed itself; exit so that Kubernetes restarts it as a standby.
    bridge.onLeadershipLost(() -> System.exit(3));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      bridge.close();
      client.close();
      stopped.countDown();
    }, "outpost-bridge-shutdown"));
    bridge.start();
    stopped.await();
  }
}
