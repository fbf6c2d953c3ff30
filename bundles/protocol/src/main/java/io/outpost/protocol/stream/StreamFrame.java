package io.outpost.protocol.stream;

import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ProtocolException.Reason;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * One frame of a stream session. Binary, big-endian: {@code version(1) type(1) session(16) seq(4) channel(1)}
 * followed by the payload. Every frame a side sends in a session carries the next {@code seq} (from 0), so the
 * receiver drops a duplicate (MQTT QoS 1 may redeliver) and ends the session on a gap (a frame was lost).
 *
 * @param payload OPEN: the {@link StreamRequest} as JSON; DATA: bytes; CREDIT: 4-byte grant; END: the
 *     {@link StreamEnd} as JSON; RESIZE: width and height as two 2-byte values; EOF and PING: empty
 */
public record StreamFrame(Type type, UUID session, int seq, int channel, byte[] payload) {
  public static final int VERSION = 1;
  public static final int HEADER_BYTES = 23;
  /** The most bytes one DATA frame carries. */
  public static final int MAX_DATA = 32 * 1024;
  /** The largest payload of any frame (an OPEN request with a long command line). */
  public static final int MAX_PAYLOAD = 64 * 1024;
  /** Channels: exec stdin / port-forward data towards the pod. */
  public static final int IN = 0;
  /** Exec stdout, port-forward data from the pod, the log. */
  public static final int OUT = 1;
  /** Exec stderr. */
  public static final int ERR = 2;
  private static final int MAX_CHANNEL = ERR;

  public enum Type {
    OPEN(1), DATA(2), CREDIT(3), EOF(4), END(5), PING(6), RESIZE(7);

    private final int code;

    Type(int code) {
      this.code = code;
    }

    static Type of(int code) {
      for (Type type : values()) {
        if (type.code == code) {
          return type;
        }
      }
      return null;
    }
  }

  public StreamFrame {
    if (payload == null) {
      payload = new byte[0];
    }
  }

  public static StreamFrame credit(UUID session, int seq, int bytes) {
    return new StreamFrame(Type.CREDIT, session, seq, 0, ByteBuffer.allocate(4).putInt(bytes).array());
  }

  public static StreamFrame resize(UUID session, int seq, int width, int height) {
    return new StreamFrame(Type.RESIZE, session, seq, 0,
        ByteBuffer.allocate(4).putShort((short) width).putShort((short) height).array());
  }

  /** The grant of a CREDIT frame. */
  public int credit() {
    return ByteBuffer.wrap(payload).getInt();
  }

  /** Width and height of a RESIZE frame. */
  public int width() {
    return Short.toUnsignedInt(ByteBuffer.wrap(payload).getShort(0));
  }

  public int height() {
    return Short.toUnsignedInt(ByteBuffer.wrap(payload).getShort(2));
  }

  public byte[] encode() {
    ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + payload.length);
    out.put((byte) VERSION).put((byte) type.code).putLong(session.getMostSignificantBits())
        .putLong(session.getLeastSignificantBits()).putInt(seq).put((byte) channel).put(payload);
    return out.array();
  }

  /** Checks, in order, size, version, type and the type's payload; never returns a frame it would not send. */
  public static StreamFrame decode(byte[] bytes) throws ProtocolException {
    if (bytes == null || bytes.length < HEADER_BYTES) {
      throw new ProtocolException(Reason.MALFORMED, "stream frame shorter than its " + HEADER_BYTES + "-byte header");
    }
    if (bytes.length > HEADER_BYTES + MAX_PAYLOAD) {
      throw new ProtocolException(Reason.OVERSIZED, "stream frame of " + bytes.length + " bytes, limit "
          + (HEADER_BYTES + MAX_PAYLOAD));
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    int version = in.get();
    if (version != VERSION) {
      throw new ProtocolException(Reason.UNSUPPORTED_VERSION, "stream frame version " + version + ", supported "
          + VERSION);
    }
    Type type = Type.of(in.get());
    if (type == null) {
      throw new ProtocolException(Reason.MALFORMED, "unknown stream frame type " + bytes[1]);
    }
    UUID session = new UUID(in.getLong(), in.getLong());
    int seq = in.getInt();
    int channel = in.get();
    if (seq < 0) {
      throw new ProtocolException(Reason.INVALID, "negative stream frame sequence " + seq);
    }
    if (channel < 0 || channel > MAX_CHANNEL) {
      throw new ProtocolException(Reason.INVALID, "unknown stream channel " + channel);
    }
    byte[] payload = new byte[in.remaining()];
    in.get(payload);
    check(type, payload);
    return new StreamFrame(type, session, seq, channel, payload);
  }

  private static void check(Type type, byte[] payload) throws ProtocolException {
    int expected = switch (type) {
      case CREDIT, RESIZE -> 4;
      case EOF, PING -> 0;
      default -> -1;
    };
    if (expected >= 0 && payload.length != expected) {
      throw new ProtocolException(Reason.MALFORMED, type + " frame with a " + payload.length + "-byte payload, "
          + "expected " + expected);
    }
    if (type == Type.DATA && payload.length > MAX_DATA) {
      throw new ProtocolException(Reason.OVERSIZED, "DATA frame of " + payload.length + " bytes, limit " + MAX_DATA);
    }
    if (type == Type.CREDIT && ByteBuffer.wrap(payload).getInt() <= 0) {
      throw new ProtocolException(Reason.INVALID, "CREDIT frame granting no bytes");
    }
  }

  @Override
  public String toString() {
    return type + "[" + session + " #" + seq + " ch" + channel + " " + payload.length + "B]";
  }
}
