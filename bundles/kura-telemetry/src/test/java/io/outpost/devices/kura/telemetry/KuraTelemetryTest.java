package io.outpost.devices.kura.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.devices.kura.KuraPayloads;
import io.outpost.testing.Mosquitto;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Telemetry through a real Mosquitto, read back by a consumer that decodes Kura's format. */
class KuraTelemetryTest {
  @TempDir Path dir;
  private Mosquitto broker;
  private MqttClient consumer;
  private KuraTelemetry telemetry;
  private final BlockingQueue<String[]> topics = new LinkedBlockingQueue<>();
  private final BlockingQueue<KuraPayloads.Decoded> payloads = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    broker = Mosquitto.start(dir.resolve("broker"));
    consumer = new MqttClient(broker.url(), "kapua-consumer", new MemoryPersistence());
    consumer.connect();
    IMqttMessageListener listener = (topic, message) -> {
      topics.add(new String[] {topic});
      payloads.add(KuraPayloads.decode(message.getPayload()));
    };
    consumer.subscribe(new MqttSubscription[] {new MqttSubscription("acme/#", 1)},
        new IMqttMessageListener[] {listener});
  }

  @AfterEach
  void stop() throws Exception {
    if (telemetry != null) {
      telemetry.deactivate();
    }
    consumer.disconnect();
    consumer.close();
    broker.close();
  }

  @Test
  void changedValuesArePublishedAsKuraPayloadsOnKurasDataTopic() throws Exception {
    telemetry = new KuraTelemetry(config(broker.url(), "acme", "edge-7"));
    Instant readAt = Instant.parse("2026-12-02T10:15:30.250Z");
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("temperature", 25.1);
    values.put("setpoint", 2500L);
    values.put("heating", true);
    values.put("mode", "eco");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(telemetry::connected);
    telemetry.changed("plant", "boiler", readAt, values);

    String[] topic = topics.poll(20, TimeUnit.SECONDS);
    assertThat(topic).as("a message arrived").isNotNull();
    assertThat(topic[0]).isEqualTo("acme/edge-7/outpost-devices/plant/boiler");
    KuraPayloads.Decoded payload = payloads.take();
    assertThat(payload.timestamp()).isEqualTo(readAt);
    assertThat(payload.metrics()).containsExactlyEntriesOf(values);
    assertThat(telemetry.published()).isEqualTo(1);
    assertThat(telemetry.dropped()).isZero();

    // A value Kura cannot carry is dropped and counted, never thrown at the twin engine.
    telemetry.changed("plant", "boiler", readAt, Map.of("blob", new Object()));
    assertThat(telemetry.dropped()).isEqualTo(1);
  }

  @Test
  void aBadConfigurationIsRefusedNamingWhatIsWrong() {
    assertThatThrownBy(() -> new KuraTelemetry(config("http://broker", "acme", "edge-7")))
        .hasMessageContaining("broker.url");
    assertThatThrownBy(() -> new KuraTelemetry(config(broker.url(), "acme/x", "edge-7")))
        .hasMessageContaining("acme/x");
  }

  private static KuraTelemetryConfig config(String url, String account, String clientId) {
    return new KuraTelemetryConfig() {
      @Override
      public Class<? extends Annotation> annotationType() {
        return KuraTelemetryConfig.class;
      }

      @Override
      public String broker_url() {
        return url;
      }

      @Override
      public String account_name() {
        return account;
      }

      @Override
      public String client_id() {
        return clientId;
      }

      @Override
      public String app_id() {
        return "outpost-devices";
      }

      @Override
      public int qos() {
        return 1;
      }

      @Override
      public int buffer_max() {
        return 100;
      }

      @Override
      public String username() {
        return "";
      }

      @Override
      public String password() {
        return "";
      }
    };
  }
}
