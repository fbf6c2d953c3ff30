package io.outpost.devices.mqtt;

import io.outpost.devices.DriverException;
import io.outpost.devices.ProtocolDriver;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Devices that speak MQTT on a local broker (the device publishes its readings; commands are published to it).
 * Protocol {@code configData}: {@code broker} ({@code tcp://host:port}, required), {@code timeout} ms (default
 * 3000; reaching the broker gets at least 3 s). Property visitor: {@code topic} (no wildcards) the device publishes the property on — reading returns the
 * newest payload received there (a retained one arrives at once), waiting up to the timeout for a first one; {@code
 * writeTopic} (default {@code <topic>/set}) where a desired value is published, QoS 1. One client per broker,
 * reconnecting by itself; subscriptions are made on first use and kept.
 */
@Component(service = ProtocolDriver.class, immediate = true)
public final class MqttDriver implements ProtocolDriver {
  public static final String PROTOCOL = "mqtt";
  private static final Logger LOG = LoggerFactory.getLogger(MqttDriver.class);

  /** Per broker URL: the client and, per topic, the newest value (completed once one arrived). */
  private final Map<String, Broker> brokers = new ConcurrentHashMap<>();

  private static final class Broker {
    final MqttAsyncClient client;
    final Map<String, CompletableFuture<String>> first = new ConcurrentHashMap<>();
    final Map<String, String> latest = new ConcurrentHashMap<>();

    Broker(MqttAsyncClient client) {
      this.client = client;
    }
  }

  @Override
  public String protocol() {
    return PROTOCOL;
  }

  @Override
  public String read(Map<String, String> protocol, Map<String, String> visitor) throws DriverException {
    long timeout = timeout(protocol);
    String topic = topic(visitor, "topic");
    Broker broker = broker(protocol, timeout);
    String value = broker.latest.get(topic);
    if (value != null) {
      return value;
    }
    CompletableFuture<String> arrived = broker.first.computeIfAbsent(topic, t -> new CompletableFuture<>());
    subscribe(broker, topic, timeout);
    try {
      return arrived.get(timeout, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new DriverException("device_error", "nothing was published on " + topic + " within " + timeout + " ms");
    } catch (ExecutionException e) {
      throw new DriverException("device_error", e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DriverException("device_error", "interrupted", e);
    }
  }

  @Override
  public void write(Map<String, String> protocol, Map<String, String> visitor, String value) throws DriverException {
    long timeout = timeout(protocol);
    String topic = visitor.containsKey("writeTopic") ? topic(visitor, "writeTopic") : topic(visitor, "topic") + "/set";
    Broker broker = broker(protocol, timeout);
    try {
      broker.client.publish(topic, value.getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(timeout);
    } catch (MqttException e) {
      throw new DriverException("unreachable", "publishing to " + topic + " failed: " + e.getMessage(), e);
    }
  }

  private void subscribe(Broker broker, String topic, long timeout) throws DriverException {
    if (broker.first.get(topic) != null && broker.first.get(topic).isDone()) {
      return;
    }
    IMqttMessageListener listener = (t, message) -> {
      String text = new String(message.getPayload(), StandardCharsets.UTF_8);
      broker.latest.put(t, text);
      broker.first.computeIfAbsent(t, x -> new CompletableFuture<>()).complete(text);
    };
    try {
      broker.client.subscribe(new MqttSubscription[] {new MqttSubscription(topic, 1)}, null, null,
          new IMqttMessageListener[] {listener}, null).waitForCompletion(timeout);
    } catch (MqttException e) {
      throw new DriverException("unreachable", "subscribing to " + topic + " failed: " + e.getMessage(), e);
    }
  }

  private Broker broker(Map<String, String> protocol, long timeout) throws DriverException {
    String url = protocol.get("broker");
    if (url == null || !url.matches("tcp://[^/\\s]+:\\d+")) {
      throw new DriverException("invalid_config", "protocol configData needs broker=tcp://host:port, was '" + url
          + "'");
    }
    Broker existing = brokers.get(url);
    if (existing != null && existing.client.isConnected()) {
      return existing;
    }
    synchronized (brokers) {
      existing = brokers.get(url);
      if (existing != null) {
        if (!existing.client.isConnected()) {
          throw new DriverException("unreachable", "the broker " + url + " is not reachable (reconnecting)");
        }
        return existing;
      }
      try {
        MqttAsyncClient client = new MqttAsyncClient(url, "outpost-devices-" + UUID.randomUUID(),
            new MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setAutomaticReconnect(true);
        options.setCleanStart(true);
        // Reaching the broker is not the device answering: at least 3 s for it, whatever the read timeout.
        long connectTimeout = Math.max(timeout, 3000);
        options.setConnectionTimeout((int) (connectTimeout / 1000));
        client.connect(options).waitForCompletion(connectTimeout);
        Broker broker = new Broker(client);
        brokers.put(url, broker);
        LOG.info("Device MQTT broker {} connected", url);
        return broker;
      } catch (MqttException e) {
        throw new DriverException("unreachable", "cannot connect to " + url + ": " + e.getMessage(), e);
      }
    }
  }

  private static String topic(Map<String, String> visitor, String key) throws DriverException {
    String topic = visitor.get(key);
    if (topic == null || topic.isBlank() || topic.contains("#") || topic.contains("+")) {
      throw new DriverException("invalid_config", key + " must be a topic without wildcards, was '" + topic + "'");
    }
    return topic;
  }

  private static long timeout(Map<String, String> protocol) throws DriverException {
    String value = protocol.getOrDefault("timeout", "3000");
    try {
      long timeout = Long.parseLong(value.trim());
      if (timeout < 100 || timeout > 60_000) {
        throw new DriverException("invalid_config", "timeout must be between 100 and 60000 ms, was " + value);
      }
      return timeout;
    } catch (NumberFormatException e) {
      throw new DriverException("invalid_config", "timeout must be a number, was '" + value + "'");
    }
  }

  @Deactivate
  void deactivate() {
    brokers.values().forEach(broker -> {
      try {
        if (broker.client.isConnected()) {
          broker.client.disconnect().waitForCompletion(2000);
        }
        broker.client.close();
      } catch (MqttException e) {
        LOG.debug("Closing the device MQTT client failed: {}", e.getMessage());
      }
    });
    brokers.clear();
  }

}
