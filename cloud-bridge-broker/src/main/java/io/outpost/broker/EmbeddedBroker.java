package io.outpost.broker;

import com.hivemq.embedded.EmbeddedHiveMQ;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MQTT 5 broker inside the bridge's JVM (HiveMQ Community Edition, embedded), for the quickstart and
 * single-machine installations. Sessions, queued messages and retained messages persist in {@code dataDir}, so a
 * restarted bridge keeps the edge nodes' sessions like an external broker would.
 *
 * <p>The configuration is written by this class from {@link Settings} (the HiveMQ default file is not used): usage
 * statistics off, per-client queues sized for long disconnects, packets capped at the protocol's message limit.
 * With {@link Tls} it listens with TLS and client certificates only, and {@link NodeSecurity} confines every node to
 * its own topics; without, it is plain TCP for development (see docs/security.md).
 */
public final class EmbeddedBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
  private static final long START_TIMEOUT_SECONDS = 120;

  /** Where and how the broker listens. */
  public record Settings(String bindAddress, int port, Path dataDir, int maxPacketBytes, long maxQueuedPerClient) {
    public Settings {
      if (bindAddress == null || bindAddress.isBlank()) {
        throw new IllegalArgumentException("bind address is empty");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
      }
      if (maxPacketBytes < 1024) {
        throw new IllegalArgumentException("max packet size " + maxPacketBytes + " is below 1024 bytes");
      }
      if (maxQueuedPerClient < 1) {
        throw new IllegalArgumentException("max queued messages per client must be positive");
      }
    }

    /** Loopback-only defaults for a single machine. */
    public static Settings local(int port, Path dataDir) {
      return new Settings("127.0.0.1", port, dataDir, 512 * 1024, 100_000);
    }

    /**
     * {@code OUTPOST_EMBEDDED_BROKER}'s {@code host:port}, with the loopback defaults for the rest and {@code dataDir}
     * for the broker's data.
     */
    public static Settings parse(String listen, Path dataDir) {
      int colon = listen.lastIndexOf(':');
      if (colon <= 0 || colon == listen.length() - 1) {
        throw new IllegalArgumentException("OUTPOST_EMBEDDED_BROKER '" + listen + "' must be host:port or off");
      }
      int port;
      try {
        port = Integer.parseInt(listen.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("OUTPOST_EMBEDDED_BROKER '" + listen + "': port is not a number");
      }
      Settings local = local(port, dataDir.toAbsolutePath());
      return new Settings(listen.substring(0, colon), port, local.dataDir(), local.maxPacketBytes(),
          local.maxQueuedPerClient());
    }
  }

  /**
   * A TLS listener instead of plain TCP: the broker presents {@code chain} (leaf first) with {@code key}, requires
   * client certificates from {@code ca}, and {@link NodeSecurity} confines each node to its own topics ({@code
   * revoked} nodes are refused).
   */
  public record Tls(java.security.PrivateKey key, java.util.List<java.security.cert.X509Certificate> chain,
      java.security.cert.X509Certificate ca,
      java.util.function.Predicate<java.security.cert.X509Certificate> revoked) {}

  private final Settings settings;
  private final EmbeddedHiveMQ hivemq;
  private final Tls tls;
  private final NodeSecurity security;

  private EmbeddedBroker(Settings settings, EmbeddedHiveMQ hivemq, Tls tls, NodeSecurity security) {
    this.settings = settings;
    this.hivemq = hivemq;
    this.tls = tls;
    this.security = security;
  }

  /** Disconnects revoked nodes now (the broker also does so every {@link NodeSecurity#REVOCATION_CHECK}). */
  void closeRevoked() {
    if (security != null) {
      security.closeRevoked();
    }
  }

  /** Writes the configuration, starts the broker (plain TCP) and returns once it accepts connections. */
  public static EmbeddedBroker start(Settings settings) throws IOException {
    return start(settings, null);
  }

  /** As {@link #start(Settings)}, with a TLS listener and per-node authorization if {@code tls} is not null. */
  public static EmbeddedBroker start(Settings settings, Tls tls) throws IOException {
    Path conf = Files.createDirectories(settings.dataDir().resolve("conf"));
    Path data = Files.createDirectories(settings.dataDir().resolve("data"));
    Path extensions = Files.createDirectories(settings.dataDir().resolve("extensions"));
    String listener = tls == null ? tcpListener(settings) : tlsListener(settings, tls, conf);
    Files.writeString(conf.resolve("config.xml"), configXml(settings, listener));
    var builder = EmbeddedHiveMQ.builder()
        .withConfigurationFolder(conf)
        .withDataFolder(data)
        .withExtensionsFolder(extensions)
        .withoutLoggingBootstrap();
    NodeSecurity security = tls == null ? null : new NodeSecurity(tls.revoked());
    if (security != null) {
      builder.withEmbeddedExtension(com.hivemq.embedded.EmbeddedExtension.builder().withId("outpost-security")
          .withName("Outpost node security").withVersion("1").withAuthor("Outpost").withPriority(1000)
          .withStartPriority(1000).withExtensionMain(security).build());
    }
    EmbeddedHiveMQ hivemq = builder.build();
    EmbeddedBroker broker = new EmbeddedBroker(settings, hivemq, tls, security);
    try {
      hivemq.start().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      broker.discard();
      throw new IOException("interrupted while starting the embedded broker", e);
    } catch (ExecutionException | TimeoutException e) {
      broker.discard();
      throw new IOException("the embedded MQTT broker did not start on " + settings.bindAddress() + ":"
          + settings.port() + ": " + rootMessage(e), e);
    }
    LOG.info("Embedded MQTT 5 broker (HiveMQ CE) listening on {}://{}:{}, data in {}", tls == null ? "tcp" : "ssl",
        settings.bindAddress(), settings.port(), data);
    return broker;
  }

  /** The URL the bridge and local edge nodes connect to. */
  public String url() {
    String host = "0.0.0.0".equals(settings.bindAddress()) ? "127.0.0.1" : settings.bindAddress();
    return (tls == null ? "tcp" : "ssl") + "://" + host + ":" + settings.port();
  }

  public Settings settings() {
    return settings;
  }

  static String tcpListener(Settings s) {
    return """
                <tcp-listener>
                    <port>%d</port>
                    <bind-address>%s</bind-address>
                </tcp-listener>
        """.formatted(s.port(), xml(s.bindAddress()));
  }

  /** A TLS listener requiring client certificates; key and trust stores written (0600) with a random password. */
  static String tlsListener(Settings s, Tls tls, Path conf) throws IOException {
    String password = java.util.UUID.randomUUID().toString();
    try {
      java.security.KeyStore keys = java.security.KeyStore.getInstance("JKS");
      keys.load(null, null);
      keys.setKeyEntry("broker", tls.key(), password.toCharArray(),
          tls.chain().toArray(java.security.cert.X509Certificate[]::new));
      java.security.KeyStore trust = java.security.KeyStore.getInstance("JKS");
      trust.load(null, null);
      trust.setCertificateEntry("outpost-ca", tls.ca());
      store(keys, conf.resolve("broker.jks"), password);
      store(trust, conf.resolve("trust.jks"), password);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot write the broker's key stores", e);
    }
    return """
                <tls-tcp-listener>
                    <port>%d</port>
                    <bind-address>%s</bind-address>
                    <tls>
                        <keystore>
                            <path>%s</path>
                            <password>%s</password>
                            <private-key-password>%s</private-key-password>
                        </keystore>
                        <truststore>
                            <path>%s</path>
                            <password>%s</password>
                        </truststore>
                        <client-authentication-mode>REQUIRED</client-authentication-mode>
                        <protocols>
                            <protocol>TLSv1.3</protocol>
                            <protocol>TLSv1.2</protocol>
                        </protocols>
                    </tls>
                </tls-tcp-listener>
        """.formatted(s.port(), xml(s.bindAddress()), xml(conf.resolve("broker.jks").toString()), password,
        password, xml(conf.resolve("trust.jks").toString()), password);
  }

  private static void store(java.security.KeyStore store, Path file, String password)
      throws IOException, java.security.GeneralSecurityException {
    Files.deleteIfExists(file);
    Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    try (var out = Files.newOutputStream(file)) {
      store.store(out, password.toCharArray());
    }
  }

  static String configXml(Settings s) {
    return configXml(s, tcpListener(s));
  }

  static String configXml(Settings s, String listener) {
    return """
        <?xml version="1.0"?>
        <!-- Written by Outpost at every start from its settings; edits here are overwritten. -->
        <hivemq>
            <listeners>
        %s    </listeners>
            <mqtt>
                <queued-messages>
                    <max-queue-size>%d</max-queue-size>
                    <strategy>discard-oldest</strategy>
                </queued-messages>
                <packets>
                    <max-packet-size>%d</max-packet-size>
                </packets>
                <receive-maximum>
                    <!-- HiveMQ's default of 10 in-flight QoS 1 messages per client would throttle the bridge. -->
                    <server-receive-maximum>1000</server-receive-maximum>
                </receive-maximum>
            </mqtt>
            <persistence>
                <mode>file</mode>
            </persistence>
            <anonymous-usage-statistics>
                <enabled>false</enabled>
            </anonymous-usage-statistics>
        </hivemq>
        """.formatted(listener, s.maxQueuedPerClient(), s.maxPacketBytes());
  }

  private static String xml(String value) {
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  /** Releases what a broker that failed to start holds; the start failure is what gets reported. */
  private void discard() {
    try {
      hivemq.close();
    } catch (ExecutionException e) {
      LOG.debug("closing a broker that did not start: {}", rootMessage(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the broker; its persisted sessions stay in the data directory for the next start. */
  @Override
  public void close() {
    try {
      hivemq.stop().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      hivemq.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("embedded broker did not stop cleanly: {}", rootMessage(e));
    }
  }
}
