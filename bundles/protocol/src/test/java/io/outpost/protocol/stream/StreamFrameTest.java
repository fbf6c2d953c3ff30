package io.outpost.protocol.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.stream.StreamFrame.Type;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class StreamFrameTest {
  private static final UUID SESSION = UUID.randomUUID();

  @Test
  void framesSurviveTheWire() throws Exception {
    StreamFrame data = new StreamFrame(Type.DATA, SESSION, 7, StreamFrame.ERR, "oops".getBytes(StandardCharsets.UTF_8));
    StreamFrame decoded = StreamFrame.decode(data.encode());
    assertThat(decoded.type()).isEqualTo(Type.DATA);
    assertThat(decoded.session()).isEqualTo(SESSION);
    assertThat(decoded.seq()).isEqualTo(7);
    assertThat(decoded.channel()).isEqualTo(StreamFrame.ERR);
    assertThat(new String(decoded.payload(), StandardCharsets.UTF_8)).isEqualTo("oops");
    assertThat(StreamFrame.decode(StreamFrame.credit(SESSION, 1, 65536).encode()).credit()).isEqualTo(65536);
    StreamFrame resize = StreamFrame.decode(StreamFrame.resize(SESSION, 2, 132, 43).encode());
    assertThat(resize.width()).isEqualTo(132);
    assertThat(resize.height()).isEqualTo(43);
  }

  @Test
  void theLongestValidExecCommandFitsOneOpenFrameAndALongerOneIsRefused() throws Exception {
    // 8,192 characters that JSON escapes to 6 bytes each: the worst case still fits the 64 KiB OPEN payload.
    String control = "\u0001".repeat(4096);
    StreamRequest longest = StreamRequest.exec("default", "web", "uid-1", "app", List.of(control, control), true,
        true, false, false);
    longest.validate();
    StreamFrame open = new StreamFrame(Type.OPEN, SESSION, 0, 0, longest.encode());
    assertThat(StreamRequest.decode(StreamFrame.decode(open.encode()).payload()).command()).isEqualTo(
        List.of(control, control));
    StreamRequest longer = StreamRequest.exec("default", "web", "uid-1", "app", List.of(control, control, "x"),
        true, true, false, false);
    assertThatThrownBy(longer::validate).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("8192 characters in all");
  }

  @Test
  void anAttachNamesItsContainerAndTakesNoCommand() throws Exception {
    StreamRequest attach = StreamRequest.attach("default", "web", "uid-1", "debugger", true, true, false, true);
    StreamRequest decoded = StreamRequest.decode(attach.encode());
    assertThat(decoded).isEqualTo(attach);
    assertThat(decoded.kind()).isEqualTo(StreamRequest.ATTACH);
    assertThat(decoded.command()).isNull();
    assertThat(decoded.describe()).isEqualTo("attach default/web/debugger");
    assertThatThrownBy(() -> StreamRequest.attach("default", "web", "uid-1", null, true, true, false, false)
        .validate()).isInstanceOf(ProtocolException.class).hasMessageContaining("container");
  }

  @Test
  void badFramesAreRejectedWithTheirReason() {
    byte[] good = new StreamFrame(Type.PING, SESSION, 0, 0, null).encode();
    byte[] version = good.clone();
    version[0] = 2;
    assertReason(version, ProtocolException.Reason.UNSUPPORTED_VERSION);
    byte[] type = good.clone();
    type[1] = 99;
    assertReason(type, ProtocolException.Reason.MALFORMED);
    byte[] channel = good.clone();
    channel[22] = 9;
    assertReason(channel, ProtocolException.Reason.INVALID);
    assertReason(new byte[5], ProtocolException.Reason.MALFORMED);
    assertReason(new byte[StreamFrame.HEADER_BYTES + StreamFrame.MAX_PAYLOAD + 1], ProtocolException.Reason.OVERSIZED);
    assertReason(new StreamFrame(Type.DATA, SESSION, 0, 1, new byte[StreamFrame.MAX_DATA + 1]).encode(),
        ProtocolException.Reason.OVERSIZED);
    assertReason(StreamFrame.credit(SESSION, 0, 0).encode(), ProtocolException.Reason.INVALID);
    assertReason(new StreamFrame(Type.PING, SESSION, 0, 0, new byte[3]).encode(), ProtocolException.Reason.MALFORMED);
  }

  @Test
  void requestsAreCheckedField() throws Exception {
    StreamRequest exec = StreamRequest.exec("default", "web-1", "uid-1", "app", List.of("sh", "-c", "id"), true,
        true, false, true);
    assertThat(StreamRequest.decode(exec.encode())).isEqualTo(exec);
    assertInvalid(StreamRequest.exec("Default", "web-1", "uid-1", "app", List.of("id"), false, true, true, false),
        "namespace");
    assertInvalid(StreamRequest.exec("default", "web-1", "uid-1", "app", List.of(), false, true, true, false),
        "command");
    assertInvalid(StreamRequest.portForward("default", "web-1", "uid-1", 70000), "port");
    assertInvalid(StreamRequest.logs("default", "web/1", "uid-1", "app", true, -1, false, false, 0, 0), "pod name");
    assertThatThrownBy(() -> StreamRequest.decode("{".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ProtocolException.class).hasMessageStartingWith("malformed");
    assertThatThrownBy(() -> StreamEnd.decode("{\"code\":7}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ProtocolException.class).hasMessageStartingWith("invalid");
  }

  @Test
  void flowControlHoldsAtMostOneWindow() throws Exception {
    FlowControl flow = new FlowControl();
    assertThat(flow.trySend(FlowControl.WINDOW)).isTrue();
    assertThat(flow.trySend(1)).as("no credit left").isFalse();
    assertThat(flow.awaitSend(1, 1)).as("times out without credit").isFalse();
    flow.granted(100);
    assertThat(flow.trySend(100)).isTrue();

    FlowControl receiver = new FlowControl();
    assertThat(receiver.received(FlowControl.WINDOW)).isTrue();
    assertThat(receiver.consumed(1000)).as("small amounts are batched").isZero();
    assertThat(receiver.flush()).isEqualTo(1000);
    assertThat(receiver.received(1001)).as("the sender had only 1000 more bytes of credit").isFalse();
    flow.close();
    assertThat(flow.awaitSend(1, 10_000)).as("closing wakes and refuses senders").isFalse();
  }

  private static void assertReason(byte[] frame, ProtocolException.Reason reason) {
    assertThatThrownBy(() -> StreamFrame.decode(frame)).isInstanceOfSatisfying(ProtocolException.class,
        e -> assertThat(e.reason()).isEqualTo(reason));
  }

  private static void assertInvalid(StreamRequest request, String field) {
    assertThatThrownBy(() -> StreamRequest.decode(request.encode())).isInstanceOf(ProtocolException.class)
        .hasMessageContaining(field);
  }
}
