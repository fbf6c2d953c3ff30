package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Topics;
import io.outpost.testing.ManagedProcess;
import io.outpost.testing.Mosquitto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The broker goes away while the node has publishes in flight, and comes back with or without its persistence (the
 * converge benchmark's outage, made deterministic). Paho sends publishes with automatic topic aliases (Mosquitto
 * grants 10); a publish in flight at the outage was sent alias-only, and a client that keeps it sends it again on
 * the next connection, where the alias means nothing: Mosquitto disconnects the node for a protocol error on every
 * attempt and the node never comes back. Here the broker is frozen (SIGSTOP) so that no PUBACK can arrive, the
 * publishes are made, and it is killed and restarted.
 */
class MqttLinkOutageTest {
  private static final String NODE = "outage-test";
  @TempDir Path dir;
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final AtomicInteger connects = new AtomicInteger();
  private Mosquitto broker;
  private MqttLink link;

  @AfterEach
  void stop() {
    try (Mosquitto b = broker) {
      if (link != null) {
        link.close();
      }
    } finally {
      executor.shutdownNow();
    }
  }

  @ParameterizedTest(name = "broker persistence wiped: {0}")
  @ValueSource(booleans = {true, false})
  void aNodeWithPublishesInFlightWhenTheBrokerDiesComesBackOnline(boolean wipe) throws Exception {
    broker = Mosquitto.start(dir.resolve("broker"));
    Settings settings = new Settings(NODE, broker.url(), "outage-test-client", Duration.ofSeconds(1),
        Duration.ofSeconds(2), 3600, Codec.DEFAULT_MAX_BYTES, 110);
    link = new MqttLink(settings, executor, new CountingHandler(), io.outpost.identity.NodeCredentials.of(settings.enrollment(), Clock.systemUTC()));
    executor.execute(link::connect);
    await().atMost(Duration.ofSeconds(30)).until(link::isConnected);
    String topic = Topics.up(NODE, Topics.Up.STATUS);
    // Acknowledged: on this connection the topic now has an alias, and the next publishes carry only the alias.
    assertThat(publish(topic, "first").get(30, TimeUnit.SECONDS)).isTrue();

    ManagedProcess.run(List.of("kill", "-STOP", Long.toString(broker.pid())), Map.of());
    CompletableFuture<Boolean> second = publish(topic, "second");
    CompletableFuture<Boolean> third = publish(topic, "third");
    CompletableFuture.runAsync(() -> { }, executor).get(30, TimeUnit.SECONDS); // both handed to the client
    ProcessHandle.of(broker.pid()).ifPresent(process -> {
      process.destroyForcibly();
      process.onExit().join();
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> !link.isConnected());
    assertThat(second.getNow(false)).as("never acknowledged by the frozen broker").isFalse();
    assertThat(third.getNow(false)).isFalse();

    broker.restart(wipe);
    await().atMost(Duration.ofSeconds(30)).until(() -> connects.get() >= 2 && link.isConnected());
    // Online again means able to deliver: a publish made now is acknowledged by the broker.
    await().atMost(Duration.ofSeconds(30)).until(() -> publish(topic, "after").get(10, TimeUnit.SECONDS));
    assertThat(link.isConnected()).isTrue();
    String log = Files.readString(dir.resolve("broker").resolve("mosquitto.log"), StandardCharsets.UTF_8);
    assertThat(log).as("Mosquitto's log").doesNotContain("protocol error");
  }

  /** Publishes on the link's executor; completes with whether the broker acknowledged it. */
  private CompletableFuture<Boolean> publish(String topic, String payload) {
    CompletableFuture<Boolean> acked = new CompletableFuture<>();
    executor.execute(() -> link.publish(topic, payload.getBytes(StandardCharsets.UTF_8), new MqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        acked.complete(true);
      }

      @Override
      public void onFailure(IMqttToken token, Throwable failure) {
        acked.complete(false);
      }
    }));
    return acked;
  }

  private final class CountingHandler implements MqttLink.Handler {
    @Override
    public void connected() {
      connects.incrementAndGet();
    }

    @Override
    public void downstream(byte[] payload, Runnable ack) {
      ack.run();
    }

    @Override
    public void bridgeOnline(byte[] payload, Runnable ack) {
      ack.run();
    }

    @Override
    public void stream(byte[] payload) { }
  }
}
