package io.outpost.protocol;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing (Jazzer) of the wire codec and of stream frames: every message type a node or the bridge
 * decodes from the network. Whatever the bytes, decoding returns a valid message or throws {@link ProtocolException} with a reason —
 * never another exception, never a hang, never an unbounded allocation (the size limit is checked before parsing).
 * The suite runs it for a fixed budget ({@code JAZZER_FUZZ=1} in this module's surefire configuration); without it,
 * only the saved inputs under {@code src/test/resources/.../CodecFuzzTestInputs} are replayed.
 */
class CodecFuzzTest {
  private static final Class<?>[] TYPES = {Downstream.class, ResyncRequest.class, PodStatusReport.class,
      EventReport.class, NodeReport.class, BridgeOnline.class, DeviceStatusReport.class};
  private final Codec codec = new Codec(16 * 1024);

  @FuzzTest(maxDuration = "20s")
  void decodeAnything(FuzzedDataProvider data) {
    @SuppressWarnings("unchecked")
    Class<? extends Message> type = (Class<? extends Message>) TYPES[data.consumeInt(0, TYPES.length - 1)];
    byte[] payload = data.consumeRemainingAsBytes();
    try {
      Message message = codec.decode(payload, type);
      if (message == null) {
        throw new AssertionError("decode returned null for " + type.getSimpleName());
      }
    } catch (ProtocolException e) {
      if (e.reason() == null) {
        throw new AssertionError("a rejection without a reason", e);
      }
    }
    decodeAsStreamFrame(payload);
  }

  /** The same bytes as a stream frame (and its request or end status): a frame or a rejection with a reason. */
  private static void decodeAsStreamFrame(byte[] payload) {
    try {
      io.outpost.protocol.stream.StreamFrame frame = io.outpost.protocol.stream.StreamFrame.decode(payload);
      switch (frame.type()) {
        case OPEN -> io.outpost.protocol.stream.StreamRequest.decode(frame.payload());
        case END -> io.outpost.protocol.stream.StreamEnd.decode(frame.payload());
        case CREDIT -> frame.credit();
        case RESIZE -> frame.width();
        default -> { }
      }
    } catch (ProtocolException e) {
      if (e.reason() == null) {
        throw new AssertionError("a rejection of a stream frame without a reason", e);
      }
    }
  }
}
