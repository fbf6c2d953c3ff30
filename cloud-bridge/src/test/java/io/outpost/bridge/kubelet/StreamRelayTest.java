package io.outpost.bridge.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.Topics;
import io.outpost.protocol.stream.FlowControl;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamFrame.Type;
import io.outpost.protocol.stream.StreamRequest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bridge's end of stream sessions: ordering, credit, back-pressure on the client, and bad frames from nodes. */
class StreamRelayTest {
  private final List<StreamFrame> sent = new CopyOnWriteArrayList<>();
  private final List<String> topics = new CopyOnWriteArrayList<>();
  private final AtomicBoolean linkUp = new AtomicBoolean(true);
  private final Metrics metrics = new Metrics();
  private final StreamRelay relay = new StreamRelay((topic, payload) -> {
    topics.add(topic);
    try {
      sent.add(StreamFrame.decode(payload));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return true;
  }, linkUp::get, metrics, Duration.ofSeconds(10));

  /** What the client side was told. */
  private final List<String> data = new CopyOnWriteArrayList<>();
  private final AtomicReference<StreamEnd> ended = new AtomicReference<>();
  private final List<Boolean> pauses = new CopyOnWriteArrayList<>();
  private final StreamRelay.Listener listener = new StreamRelay.Listener() {
    @Override
    public void data(int channel, byte[] bytes) {
      data.add(channel + ":" + new String(bytes));
    }

    @Override
    public void ended(StreamEnd end) {
      ended.set(end);
    }

    @Override
    public void pause(boolean paused) {
      pauses.add(paused);
    }
  };

  @AfterEach
  void close() {
    relay.close();
  }

  private StreamRelay.Session open() {
    StreamRelay.Session session = relay.open("edge-1", StreamRequest.exec("default", "web", "uid-1", "app",
        List.of("cat"), true, true, false, false), listener);
    await().until(() -> !sent.isEmpty());
    return session;
  }

  private UUID id() {
    return sent.get(0).session();
  }

  private void fromNode(String node, Type type, int seq, int channel, byte[] payload) {
    relay.receive(node, new StreamFrame(type, id(), seq, channel, payload).encode());
  }

  @Test
  void clientBytesBeyondTheNodesCreditWaitAndPauseTheClientUntilCreditComes() {
    StreamRelay.Session session = open();
    assertThat(sent.get(0).type()).isEqualTo(Type.OPEN);
    assertThat(topics.get(0)).isEqualTo(Topics.stream("edge-1"));

    byte[] chunk = new byte[StreamFrame.MAX_DATA];
    int chunks = 2 * FlowControl.WINDOW / StreamFrame.MAX_DATA; // two windows
    for (int i = 0; i < chunks; i++) {
      session.send(chunk);
    }
    session.endInput();
    await().until(() -> sent.size() == 1 + chunks / 2);
    assertThat(pauses).as("the client is no longer read").containsExactly(true);

    fromNode("edge-1", Type.CREDIT, 0, 0, StreamFrame.credit(id(), 0, FlowControl.WINDOW).payload());
    await().until(() -> sent.size() == 1 + chunks + 1);
    assertThat(sent.stream().map(StreamFrame::seq).toList()).as("numbered in order").isSorted()
        .doesNotHaveDuplicates();
    assertThat(sent.get(sent.size() - 1).type()).as("EOF after the queued bytes").isEqualTo(Type.EOF);
    assertThat(pauses).as("read again once the queue drained").containsExactly(true, false);
  }

  @Test
  void aSessionThatEndsWhileItsClientIsPausedResumesTheConnection() {
    StreamRelay.Session session = open();
    byte[] chunk = new byte[StreamFrame.MAX_DATA];
    for (int i = 0; i < 2 * FlowControl.WINDOW / StreamFrame.MAX_DATA; i++) {
      session.send(chunk);
    }
    assertThat(pauses).containsExactly(true);
    // kubectl port-forward carries every forwarded connection on one SPDY connection: one ending (the user's
    // Ctrl-C on an upload) must not leave the others unread.
    session.close();
    assertThat(pauses).as("the connection is read again").containsExactly(true, false);
    assertThat(relay.open()).isZero();
  }

  @Test
  void podBytesReachTheClientAndDuplicatesAreDropped() {
    open();
    fromNode("edge-1", Type.DATA, 0, StreamFrame.OUT, "hello".getBytes());
    fromNode("edge-1", Type.DATA, 0, StreamFrame.OUT, "hello".getBytes()); // a QoS 1 redelivery
    fromNode("edge-1", Type.END, 1, 0, StreamEnd.ok(0).encode());
    assertThat(data).containsExactly("1:hello");
    assertThat(ended.get().success()).isTrue();
    assertThat(relay.open()).isZero();
  }

  @Test
  void framesFromAnotherNodeAreRejectedAndALostFrameEndsTheSession() {
    open();
    fromNode("edge-2", Type.DATA, 0, StreamFrame.OUT, "spoofed".getBytes());
    assertThat(data).isEmpty();
    assertThat(metrics.get("outpost_bridge_rejected_total", "reason", "spoofed_stream")).isEqualTo(1);

    fromNode("edge-1", Type.DATA, 5, StreamFrame.OUT, "after a loss".getBytes());
    assertThat(data).isEmpty();
    assertThat(ended.get().code()).isEqualTo(502);
    await().until(() -> sent.get(sent.size() - 1).type() == Type.END); // the node is told to stop
  }

  @Test
  void aNodeThatIgnoresItsCreditIsCutOff() {
    open();
    byte[] chunk = new byte[StreamFrame.MAX_DATA];
    int seq = 0;
    for (int i = 0; i < FlowControl.WINDOW / StreamFrame.MAX_DATA; i++) {
      fromNode("edge-1", Type.DATA, seq++, StreamFrame.OUT, chunk);
    }
    assertThat(ended.get()).isNull();
    fromNode("edge-1", Type.DATA, seq, StreamFrame.OUT, chunk);
    assertThat(ended.get().code()).isEqualTo(502);
    assertThat(metrics.get("outpost_bridge_rejected_total", "reason", "stream_credit")).isEqualTo(1);
  }

  @Test
  void sessionsEndWhenTheMqttLinkIsDownAndNewOnesAreRefused() {
    open();
    linkUp.set(false);
    relay.tick();
    assertThat(ended.get().code()).isEqualTo(503);
    assertThat(relay.open()).isZero();
    AtomicReference<StreamEnd> refused = new AtomicReference<>();
    relay.open("edge-1", StreamRequest.portForward("default", "web", "uid-1", 80), new StreamRelay.Listener() {
      @Override
      public void data(int channel, byte[] bytes) { }

      @Override
      public void ended(StreamEnd end) {
        refused.set(end);
      }
    });
    assertThat(refused.get().code()).isEqualTo(503);
  }
}
