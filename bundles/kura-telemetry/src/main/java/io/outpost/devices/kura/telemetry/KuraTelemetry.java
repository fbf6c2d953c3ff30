package io.outpost.devices.kura.telemetry;

import io.outpost.devices.TelemetrySink;
import io.outpost.devices.kura.KuraPayloads;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.paho.mqttv5.client.DisconnectedBufferOptions;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Device telemetry northbound in Eclipse Kura's conventions, for Kura/Kapua-style consumers: every change of a
 * device's values is one {@code KuraPayload} (timestamp = when it was read, one metric per property, typed from the
 * DeviceModel) on Kura's data topic {@code <account>/<client-id>/<app-id>/<resource>}, the resource being the
 * Device's {@code <namespace>/<name>}. Off unless {@code etc/io.outpost.devices.kura.cfg} exists. Telemetry is
 * best effort: once connected, while the broker is away up to {@code buffer.max} messages wait in memory (oldest
 * dropped beyond); before the first connection changes are dropped and counted. The authoritative values are the
 * Device twins, which the edge store keeps.
 */
@Component(service = TelemetrySink.class, configurationPid = "io.outpost.devices.kura",
    configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = KuraTelemetryConfig.class)
public final class KuraTelemetry implements TelemetrySink {
  private static final Logger LOG = LoggerFactory.getLogger(KuraTelemetry.class);

  private final KuraTelemetryConfig config;
  private final MqttAsyncClient client;
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicBoolean failing = new AtomicBoolean();
  private final MqttConnectionOptions options;
  /**
   * Paho reconnects by itself only after a first connection succeeded: until then this thread retries, with
   * exponential back-off and jitter.
   */
  private final ScheduledExecutorService connector = Executors.newSingleThreadScheduledExecutor(r ->
      new Thread(r, "outpost-kura-telemetry"));

  @Activate
  public KuraTelemetry(KuraTelemetryConfig config) throws MqttException {
    if (config.broker_url() == null || !config.broker_url().matches("(tcp|ssl)://[^/\\s]+:\\d+")) {
      throw new IllegalArgumentException("broker.url must be tcp://host:port or ssl://host:port, was '"
          + config.broker_url() + "'");
    }
    if (config.qos() < 0 || config.qos() > 1) {
      throw new IllegalArgumentException("qos must be 0 or 1, was " + config.qos());
    }
    KuraPayloads.dataTopic(config.account_name(), config.client_id(), config.app_id(), "check"); // names the bad one
    this.config = config;
    this.client = new MqttAsyncClient(config.broker_url(), config.client_id(), new MemoryPersistence());
    DisconnectedBufferOptions buffer = new DisconnectedBufferOptions();
    buffer.setBufferEnabled(true);
    buffer.setBufferSize(Math.max(1, config.buffer_max()));
    buffer.setDeleteOldestMessages(true);
    client.setBufferOpts(buffer);
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setAutomaticReconnect(true);
    options.setCleanStart(true);
    if (!config.username().isEmpty()) {
      options.setUserName(config.username());
      options.setPassword(config.password().getBytes(StandardCharsets.UTF_8));
    }
    this.options = options;
    connect(1);
    LOG.info("Kura telemetry to {} as {}/{}/{}", config.broker_url(), config.account_name(), config.client_id(),
        config.app_id());
  }

  private void connect(int attempt) {
    try {
      client.connect(options, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          LOG.info("Kura telemetry connected to {}", config.broker_url());
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
          retry(attempt, failure);
        }
      });
    } catch (MqttException e) {
      retry(attempt, e);
    }
  }

  private void retry(int attempt, Throwable failure) {
    long ceiling = Math.min(60_000L, 1000L << Math.min(attempt - 1, 16));
    long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    if (attempt == 1) {
      LOG.warn("Kura telemetry broker {} not reachable ({}): retrying with back-off", config.broker_url(),
          failure.getMessage());
    }
    try {
      connector.schedule(() -> connect(attempt + 1), delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("Kura telemetry stopping: no retry");
    }
  }

  /** True while connected to the broker. */
  boolean connected() {
    return client.isConnected();
  }

  @Override
  public void changed(String namespace, String device, Instant readAt, Map<String, Object> values) {
    String topic;
    byte[] payload;
    try {
      topic = KuraPayloads.dataTopic(config.account_name(), config.client_id(), config.app_id(), namespace) + "/"
          + device;
      payload = KuraPayloads.encode(readAt, values);
    } catch (IllegalArgumentException e) {
      dropped.incrementAndGet();
      LOG.warn("Kura telemetry of {}/{} not sent: {}", namespace, device, e.getMessage());
      return;
    }
    try {
      client.publish(topic, payload, config.qos(), false);
      published.incrementAndGet();
      if (failing.compareAndSet(true, false)) {
        LOG.info("Kura telemetry publishing again ({} dropped meanwhile)", dropped.get());
      }
    } catch (MqttException e) {
      dropped.incrementAndGet();
      if (failing.compareAndSet(false, true)) {
        LOG.warn("Kura telemetry not published ({}): dropping until the broker takes it again", e.getMessage());
      }
    }
  }

  /** Messages handed to the MQTT client, and messages dropped (unencodable, or refused while the buffer was full). */
  long published() {
    return published.get();
  }

  long dropped() {
    return dropped.get();
  }

  @Deactivate
  void deactivate() {
    connector.shutdownNow();
    try {
      if (client.isConnected()) {
        client.disconnect().waitForCompletion(2000);
      }
      client.close(true);
    } catch (MqttException e) {
      LOG.debug("Closing the Kura telemetry client: {}", e.getMessage());
    }
  }
}
