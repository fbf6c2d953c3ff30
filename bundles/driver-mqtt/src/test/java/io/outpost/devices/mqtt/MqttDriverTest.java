package io.outpost.devices.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.outpost.devices.DriverException;
import io.outpost.testing.Mosquitto;
import io.outpost.testing.Ports;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver against a real Mosquitto, with a test client in the role of the device. */
class MqttDriverTest {
  @TempDir Path dir;
  private Mosquitto broker;
  private MqttClient device;
  private final MqttDriver driver = new MqttDriver();

  @BeforeEach
  void start() throws Exception {
    broker = Mosquitto.start(dir.resolve("broker"));
    device = new MqttClient(broker.url(), "thermostat", new MemoryPersistence());
    device.connect();
  }

  @AfterEach
  void stop() throws Exception {
    driver.deactivate();
    if (device.isConnected()) {
      device.disconnect();
    }
    device.close();
    broker.close();
  }

  private Map<String, String> protocol() {
    return Map.of("broker", broker.url(), "timeout", "2000");
  }

  private void publish(String topic, String value, boolean retained) throws Exception {
    MqttMessage message = new MqttMessage(value.getBytes(StandardCharsets.UTF_8));
    message.setRetained(retained);
    message.setQos(1);
    device.publish(topic, message);
  }

  @Test
  void readsTheNewestValueTheDevicePublishedAndWritesDesiredValuesToIt() throws Exception {
    publish("site/thermo-1/temperature", "21.5", true);
    assertThat(driver.read(protocol(), Map.of("topic", "site/thermo-1/temperature"))).isEqualTo("21.5");

    publish("site/thermo-1/temperature", "22.0", false);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        driver.read(protocol(), Map.of("topic", "site/thermo-1/temperature")).equals("22.0"));

    BlockingQueue<String> commands = new LinkedBlockingQueue<>();
    device.subscribe(new MqttSubscription[] {new MqttSubscription("site/thermo-1/#", 1)},
        new IMqttMessageListener[] {(t, m) -> {
          if (t.endsWith("/set") || t.endsWith("/setpoint")) {
            commands.add(t + "=" + new String(m.getPayload(), StandardCharsets.UTF_8));
          }
        }});
    driver.write(protocol(), Map.of("topic", "site/thermo-1/target"), "19");
    driver.write(protocol(), Map.of("topic", "site/thermo-1/target", "writeTopic", "site/thermo-1/setpoint"),
        "20");
    assertThat(commands.poll(10, TimeUnit.SECONDS)).isEqualTo("site/thermo-1/target/set=19");
    assertThat(commands.poll(10, TimeUnit.SECONDS)).isEqualTo("site/thermo-1/setpoint=20");
  }

  @Test
  void badConfigurationSilentDevicesAndUnreachableBrokersAreReasons() {
    assertReason(() -> driver.read(Map.of(), Map.of("topic", "a")), "invalid_config");
    assertReason(() -> driver.read(protocol(), Map.of("topic", "site/#")), "invalid_config");
    assertReason(() -> driver.read(Map.of("broker", broker.url(), "timeout", "5"), Map.of("topic", "a")),
        "invalid_config");
    assertReason(() -> driver.read(Map.of("broker", broker.url(), "timeout", "300"), Map.of("topic", "silent")),
        "device_error");
    int closed = Ports.free();
    assertReason(() -> driver.read(Map.of("broker", "tcp://127.0.0.1:" + closed, "timeout", "1000"),
        Map.of("topic", "a")), "unreachable");
  }

  private interface Call {
    void run() throws DriverException;
  }

  private static void assertReason(Call call, String reason) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(DriverException.class,
        e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
  }
}
