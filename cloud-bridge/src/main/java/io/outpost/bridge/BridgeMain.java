package io.outpost.bridge;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.outpost.bridge.config.BridgeConfig;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** The bridge's single composition root: configuration from the environment, Kubernetes from fabric8 discovery. */
public final class BridgeMain {
  private BridgeMain() {}

  public static void main(String[] args) throws Exception {
    boundHttpExchanges();
    if (args.length > 0) { // an operator command: join tokens, revocation, CA (see JoinCli)
      try (KubernetesClient client = new KubernetesClientBuilder().build()) {
        System.exit(io.outpost.bridge.join.JoinCli.run(java.util.List.of(args), BridgeConfig.environment(), client,
            System.out, System.err));
      }
    }
    run(BridgeConfig.environment(), () -> { });
  }

  /**
   * The JDK HTTP server (health, webhook, join endpoint) gives a slow or stalled client at most 30 s per request and
   * response, so a few of them cannot hold every worker; set before the first server starts, unless configured.
   */
  static void boundHttpExchanges() {
    System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "30"));
    System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
  }

  /**
   * Validates {@code settings}, starts the bridge and blocks until the JVM shuts down, closing the bridge and then
   * {@code alsoClose} (for example an embedded broker started before the bridge). Exits with status 2 on an invalid
   * configuration, 1 when the bridge cannot start (the reason on standard error and in the log) and 3 when a
   * leader-elected bridge loses its leadership (Kubernetes restarts it as a standby).
   */
  public static void run(Map<String, String> settings, AutoCloseable alsoClose) throws Exception {
    run(settings, null, null, alsoClose);
  }

  /**
   * {@link #run(Map, AutoCloseable)} with a Kubernetes client and onboarding the caller already made from the same
   * settings (an embedded broker needs them first, for its TLS); null for either means: made here. The client is
   * closed at shutdown.
   */
  public static void run(Map<String, String> settings, KubernetesClient preparedClient,
      io.outpost.bridge.join.Onboarding preparedOnboarding, AutoCloseable alsoClose) throws Exception {
    boundHttpExchanges();
    BridgeConfig config;
    try {
      config = BridgeConfig.from(settings);
    } catch (IllegalArgumentException e) {
      System.err.println("outpost-bridge: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    KubernetesClient client = preparedClient != null ? preparedClient : new KubernetesClientBuilder().build();
    io.outpost.bridge.join.Onboarding onboarding;
    try {
      onboarding = preparedOnboarding != null ? preparedOnboarding
          : io.outpost.bridge.join.Onboarding.from(settings, client);
      if (config.brokerUrl().startsWith("ssl://") && onboarding == null) {
        throw new IllegalArgumentException("an ssl:// broker needs OUTPOST_CA_DIR (the bridge's client"
            + " certificate comes from its CA)");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("outpost-bridge: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    Bridge bridge = new Bridge(config, client, config.brokerUrl().startsWith("ssl://") ? onboarding.mqttTls()
        : null);
    if (onboarding != null) {
      onboarding.serve(bridge.metrics());
    }
    bridge.onLeadershipLost(() -> System.exit(3));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (onboarding != null) {
        onboarding.close();
      }
      bridge.close();
      client.close();
      try {
        alsoClose.close();
      } catch (Exception e) {
        System.err.println("outpost-bridge: while stopping: " + e);
      }
      stopped.countDown();
    }, "outpost-bridge-shutdown"));
    try {
      bridge.start();
    } catch (Exception e) { // a port in use, CRDs not applied, a certificate that cannot be read: say which, and stop
      org.slf4j.LoggerFactory.getLogger(BridgeMain.class).error("Cannot start the bridge: {}", e.getMessage(), e);
      System.err.println("outpost-bridge: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    stopped.await();
  }
}
