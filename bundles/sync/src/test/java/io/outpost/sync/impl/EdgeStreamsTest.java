package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.containers.PodStreams;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamFrame.Type;
import io.outpost.protocol.stream.StreamRequest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The edge end of stream sessions, with the MQTT client and the container manager replaced by recorders. */
class EdgeStreamsTest {
  /** Frames handed to the MQTT client, and their completions (the broker's PUBACKs), which the test controls. */
  private final List<StreamFrame> published = new CopyOnWriteArrayList<>();
  private final List<Consumer<Boolean>> unacknowledged = new CopyOnWriteArrayList<>();
  private final AtomicInteger opened = new AtomicInteger();
  private final List<PodStreams.StreamOutput> outputs = new CopyOnWriteArrayList<>();
  private final PodStreams pods = (request, output) -> {
    opened.incrementAndGet();
    outputs.add(output);
    return new PodStreams.PodStream() {
      @Override
      public void write(byte[] data, int offset, int length) { }

      @Override
      public void closeInput() { }

      @Override
      public void resize(int width, int height) { }

      @Override
      public void close() { }
    };
  };
  private final EdgeStreams streams = new EdgeStreams("edge-1", (payload, done) -> {
    try {
      published.add(StreamFrame.decode(payload));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    unacknowledged.add(done);
  }, () -> pods, () -> true, new Counters(), Duration.ofSeconds(10));

  @AfterEach
  void close() {
    streams.close();
  }

  private static byte[] open(UUID id) {
    return new StreamFrame(Type.OPEN, id, 0, 0, StreamRequest.exec("default", "web", "uid-1", "app",
        List.of("touch", "/tmp/once"), false, true, false, false).encode()).encode();
  }

  @Test
  void anOpenRedeliveredAfterItsSessionEndedDoesNotRunTheCommandAgain() {
    UUID id = UUID.randomUUID();
    streams.receive(open(id));
    await().until(() -> opened.get() == 1);
    outputs.get(0).end(StreamEnd.ok(0));
    await().until(() -> streams.open() == 0);
    // QoS 1: the broker may deliver the OPEN again (a link flap before its PUBACK left).
    streams.receive(open(id));
    assertThat(streams.open()).isZero();
    assertThat(opened.get()).as("the exec ran once").isEqualTo(1);
  }

  @Test
  void anOpenFollowedAtOnceByItsEndNeverReachesTheEngine() {
    // As a node that was offline receives them from its broker session: the bridge gave up long ago.
    UUID id = UUID.randomUUID();
    streams.receive(open(id));
    streams.receive(new StreamFrame(Type.END, id, 1, 0, StreamEnd.error(503, "gone").encode()).encode());
    await().until(() -> streams.open() == 0);
    streams.receive(open(id));
    assertThat(streams.open()).isZero();
    assertThat(opened.get()).isLessThanOrEqualTo(1);
  }

  @Test
  void theMqttCallbackThreadNeverWaitsForInFlightPlaces() {
    // Fill every in-flight place with frames the broker has not acknowledged yet.
    List<UUID> ids = new CopyOnWriteArrayList<>();
    for (int i = 0; i < MqttLink.STREAM_WINDOW; i++) {
      UUID id = UUID.randomUUID();
      ids.add(id);
      streams.receive(new StreamFrame(Type.OPEN, id, 0, 0, new byte[] {'{'}).encode()); // refused: END 400
    }
    await().until(() -> unacknowledged.size() == MqttLink.STREAM_WINDOW);
    // A frame for a session nobody knows would be answered with an END: with no place free it is dropped instead
    // of holding the thread that completes publishes (and so frees places).
    Thread callback = new Thread(() -> streams.receive(new StreamFrame(Type.CREDIT, UUID.randomUUID(), 3, 0,
        StreamFrame.credit(UUID.randomUUID(), 0, 1024).payload()).encode()));
    callback.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> !callback.isAlive());
    assertThat(published).hasSize(MqttLink.STREAM_WINDOW);
    // Places free up as the broker acknowledges; then the node answers again.
    unacknowledged.forEach(done -> done.accept(true));
    streams.receive(new StreamFrame(Type.CREDIT, UUID.randomUUID(), 3, 0,
        StreamFrame.credit(UUID.randomUUID(), 0, 1024).payload()).encode());
    await().until(() -> published.size() == MqttLink.STREAM_WINDOW + 1);
    assertThat(published.get(published.size() - 1).type()).isEqualTo(Type.END);
  }
}
