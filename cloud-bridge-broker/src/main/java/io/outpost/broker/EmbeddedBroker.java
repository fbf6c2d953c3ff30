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
 * Production deployments use an external broker (see docs/operations.md); this one has no TLS or ACLs configured.
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
  }

  private final Settings settings;
  private final EmbeddedHiveMQ hivemq;

  private EmbeddedBroker(Settings settings, EmbeddedHiveMQ hivemq) {
    this.settings = settings;
    this.hivemq = hivemq;
  }

  /** Writes the configuration, starts the broker and returns once it accepts connections. */
  public static EmbeddedBroker start(Settings settings) throws IOException {
    Path conf = Files.createDirectories(settings.dataDir().resolve("conf"));
    Path data = Files.createDirectories(settings.dataDir().resolve("data"));
    Path extensions = Files.createDirectories(settings.dataDir().resolve("extensions"));
    Files.writeString(conf.resolve("config.xml"), configXml(settings));
    EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
        .withConfigurationFolder(conf)
        .withDataFolder(data)
        .withExtensionsFolder(extensions)
        .withoutLoggingBootstrap()
        .build();
    EmbeddedBroker broker = new EmbeddedBroker(settings, hivemq);
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
    LOG.info("Embedded MQTT 5 broker (HiveMQ CE) listening on {}:{}, data in {}", settings.bindAddress(),
        settings.port(), data);
    return broker;
  }

  /** The URL the bridge and local edge nodes connect to. */
  public String url() {
    String host = "0.0.0.0".equals(settings.bindAddress()) ? "127.0.0.1" : settings.bindAddress();
    return "tcp://" + host + ":" + settings.port();
  }

  public Settings settings() {
    return settings;
  }

  static String configXml(Settings s) {
    return """
        <?xml version="1.0"?>
        <!-- Written by Outpost at every start from its settings; edits here are overwritten. -->
        <hivemq>
            <listeners>
                <tcp-listener>
                    <port>%d</port>
                    <bind-address>%s</bind-address>
                </tcp-listener>
            </listeners>
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
        """.formatted(s.port(), xml(s.bindAddress()), s.maxQueuedPerClient(), s.maxPacketBytes());
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
