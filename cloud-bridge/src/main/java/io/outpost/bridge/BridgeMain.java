package io.outpost.bridge;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The bridge's single composition root: configuration from the environment, Kubernetes from fabric8 discovery. */
public final class BridgeMain {
  private BridgeMain() {}

  public static void main(String[] args) throws Exception {
    run(BridgeConfig.environment(), () -> { });
  }

  /**
   * Validates {@code settings}, starts the bridge and blocks until the JVM shuts down, closing the bridge and then
   * {@code alsoClose} (for example an embedded broker started before the bridge). Exits with status 2 on an invalid
   * configuration and 3 when a leader-elected bridge loses its leadership (Kubernetes restarts it as a standby).
   */
  public static void run(Map<String, String> settings, AutoCloseable alsoClose) throws Exception {
    BridgeConfig config;
    try {
      config = BridgeConfig.from(settings);
    } catch (IllegalArgumentException e) {
      System.err.println("outpost-bridge: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    KubernetesClient client = new KubernetesClientBuilder().build();
    Bridge bridge = new Bridge(config, client);
    bridge.onLeadershipLost(() -> System.exit(3));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      bridge.close();
      client.close();
      try {
        alsoClose.close();
      } catch (Exception e) {
        System.err.println("outpost-bridge: while stopping: " + e);
      }
      stopped.countDown();
    }, "outpost-bridge-shutdown"));
    bridge.start();
    stopped.await();
  }
}
