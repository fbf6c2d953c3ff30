package io.outpost.containers.impl;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The few pieces of HTTP/2 (RFC 9113) a plaintext client with prior knowledge needs for one request: the connection
 * preface, frames read and written with a hard cap on their size, and a header block of HPACK (RFC 7541) literal
 * fields without indexing and without Huffman coding, which needs no table on either side.
 */
final class Http2Frames {
  static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int RST_STREAM = 0x3;
  static final int SETTINGS = 0x4;
  static final int PUSH_PROMISE = 0x5;
  static final int PING = 0x6;
  static final int GOAWAY = 0x7;
  static final int WINDOW_UPDATE = 0x8;
  static final int CONTINUATION = 0x9;

  static final int FLAG_END_STREAM = 0x1;
  static final int FLAG_ACK = 0x1;
  static final int FLAG_END_HEADERS = 0x4;
  static final int FLAG_PADDED = 0x8;
  static final int FLAG_PRIORITY = 0x20;

  static final int SETTINGS_ENABLE_PUSH = 0x2;
  static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
  static final int SETTINGS_MAX_FRAME_SIZE = 0x5;

  /** The smallest maximum frame size a peer may announce, and the one this client keeps. */
  static final int DEFAULT_MAX_FRAME_SIZE = 16_384;
  static final int DEFAULT_WINDOW = 65_535;

  /** Error code names (RFC 9113 section 7), as Go's http2 package prints them. */
  private static final List<String> ERROR_CODES = List.of("NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
      "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
      "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED");

  private Http2Frames() {}

  /** One frame; {@code payload} is never longer than the cap it was read with. */
  record Frame(int type, int flags, int stream, byte[] payload) {
    boolean has(int flag) {
      return (flags & flag) != 0;
    }

    /** The payload without padding (DATA and HEADERS with PADDED). */
    byte[] unpadded() throws ProtocolError {
      if (!has(FLAG_PADDED)) {
        return payload;
      }
      if (payload.length < 1 || (payload[0] & 0xff) >= payload.length) {
        throw new ProtocolError("padding longer than the frame");
      }
      return java.util.Arrays.copyOfRange(payload, 1, payload.length - (payload[0] & 0xff));
    }

    /** A HEADERS payload without padding and the PRIORITY flag's dependency and weight. */
    byte[] headerFragment() throws ProtocolError {
      byte[] fragment = unpadded();
      if (has(FLAG_PRIORITY)) {
        if (fragment.length < 5) {
          throw new ProtocolError("HEADERS with PRIORITY too short");
        }
        fragment = java.util.Arrays.copyOfRange(fragment, 5, fragment.length);
      }
      return fragment;
    }

    /** The first 32-bit word of the payload (RST_STREAM's and GOAWAY's error code at {@code at}). */
    long word(int at) throws ProtocolError {
      if (payload.length < at + 4) {
        throw new ProtocolError("frame type " + type + " too short");
      }
      return ((payload[at] & 0xffL) << 24) | ((payload[at + 1] & 0xff) << 16) | ((payload[at + 2] & 0xff) << 8)
          | (payload[at + 3] & 0xff);
    }
  }

  /** The peer broke the protocol, or sent more than this client accepts. */
  static final class ProtocolError extends Exception {
    private static final long serialVersionUID = 1L;

    ProtocolError(String message) {
      super(message);
    }
  }

  /** Reads one frame; a frame longer than {@code maxPayload} is refused before its payload is read. */
  static Frame read(InputStream in, int maxPayload) throws IOException, ProtocolError {
    byte[] header = readFully(in, 9);
    int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
    if (length > maxPayload) {
      throw new ProtocolError("frame of " + length + " bytes exceeds the maximum frame size " + maxPayload);
    }
    int stream = ((header[5] & 0x7f) << 24) | ((header[6] & 0xff) << 16) | ((header[7] & 0xff) << 8)
        | (header[8] & 0xff);
    return new Frame(header[3] & 0xff, header[4] & 0xff, stream, readFully(in, length));
  }

  private static byte[] readFully(InputStream in, int length) throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length) {
      throw new EOFException("EOF");
    }
    return bytes;
  }

  static void write(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
    byte[] frame = new byte[9 + payload.length];
    frame[0] = (byte) (payload.length >>> 16);
    frame[1] = (byte) (payload.length >>> 8);
    frame[2] = (byte) payload.length;
    frame[3] = (byte) type;
    frame[4] = (byte) flags;
    frame[5] = (byte) (stream >>> 24 & 0x7f);
    frame[6] = (byte) (stream >>> 16);
    frame[7] = (byte) (stream >>> 8);
    frame[8] = (byte) stream;
    System.arraycopy(payload, 0, frame, 9, payload.length);
    out.write(frame);
  }

  /** A SETTINGS payload of (identifier, value) pairs. */
  static byte[] settings(int... pairs) {
    byte[] payload = new byte[pairs.length / 2 * 6];
    for (int i = 0; i < pairs.length / 2; i++) {
      int at = i * 6;
      payload[at] = (byte) (pairs[2 * i] >>> 8);
      payload[at + 1] = (byte) pairs[2 * i];
      for (int b = 0; b < 4; b++) {
        payload[at + 2 + b] = (byte) (pairs[2 * i + 1] >>> (24 - 8 * b));
      }
    }
    return payload;
  }

  /**
   * A header block of "literal header field without indexing — new name" representations (RFC 7541 section
   * 6.2.2), names and values as raw octets: {@code fields} alternates lower-case names and values.
   */
  static byte[] literalHeaders(String... fields) {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    for (int i = 0; i < fields.length; i += 2) {
      block.write(0x00);
      literal(block, fields[i]);
      literal(block, fields[i + 1]);
    }
    return block.toByteArray();
  }

  private static void literal(ByteArrayOutputStream block, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    integer(block, bytes.length, 7, 0x00); // H = 0: not Huffman-coded
    block.writeBytes(bytes);
  }

  /** An HPACK integer with an {@code prefix}-bit prefix; {@code high} are the bits above the prefix. */
  static void integer(ByteArrayOutputStream out, int value, int prefix, int high) {
    int max = (1 << prefix) - 1;
    if (value < max) {
      out.write(high | value);
      return;
    }
    out.write(high | max);
    value -= max;
    while (value >= 128) {
      out.write((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out.write(value);
  }

  /** An error code's name, as Go's http2 package prints it ("unknown error code 0x…" beyond the known ones). */
  static String errorCode(long code) {
    return code < ERROR_CODES.size() ? ERROR_CODES.get((int) code) : "unknown error code 0x" + Long.toHexString(code);
  }
}
