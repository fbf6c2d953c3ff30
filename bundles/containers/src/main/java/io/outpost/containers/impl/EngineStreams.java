package io.outpost.containers.impl;

import io.outpost.containers.PodStreams.StreamOutput;
import io.outpost.protocol.stream.StreamFrame;
import java.io.IOException;
import java.io.InputStream;

/** The engine's output streams (a log, an exec's output, a forwarded port) passed on as stream DATA. */
final class EngineStreams {
  private EngineStreams() {}

  /**
   * Reads the engine's multiplexed stream (8-byte header: stream, 3 zero bytes, big-endian length) and passes
   * stdout and stderr on ({@code merged}: both as the log), at most {@code limit} bytes. The engine frames every
   * line; consecutive frames of one stream are passed on together, up to one DATA frame, whenever more is already
   * at hand — a busy log leaves in full frames, a quiet one line by line without waiting.
   */
  static void demultiplex(InputStream in, StreamOutput output, boolean merged, long limit)
      throws IOException {
    byte[] header = new byte[8];
    Batch batch = new Batch(output);
    long sent = 0;
    frames:
    while (sent < limit) {
      batch.flushUnlessMoreAt(in);
      if (in.readNBytes(header, 0, 8) != 8) {
        break;
      }
      int channel = header[0] == 2 && !merged ? StreamFrame.ERR : StreamFrame.OUT;
      long left = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
          | (header[7] & 0xff);
      while (left > 0) {
        batch.flushUnlessMoreAt(in);
        int n = batch.read(in, channel, left, limit - sent);
        if (n < 0) {
          break frames;
        }
        left -= n;
        sent = Math.min(limit, sent + n);
      }
    }
    batch.flush();
  }

  /** Bytes of one channel waiting to be passed on as one DATA frame. */
  private static final class Batch {
    private final StreamOutput output;
    private final byte[] bytes = new byte[StreamFrame.MAX_DATA];
    private int length;
    private int channel;

    Batch(StreamOutput output) {
      this.output = output;
    }

    /** Passes the batch on if nothing more can be read from {@code in} without blocking. */
    void flushUnlessMoreAt(InputStream in) throws IOException {
      if (length > 0 && in.available() == 0) {
        flush();
      }
    }

    /** Reads up to {@code left} bytes of {@code channel}, keeping at most {@code room} of them; -1 at the end. */
    int read(InputStream in, int channel, long left, long room) throws IOException {
      if (length == bytes.length || (length > 0 && channel != this.channel)) {
        flush();
      }
      this.channel = channel;
      int n = in.read(bytes, length, (int) Math.min(bytes.length - length, left));
      if (n > 0) {
        length += (int) Math.min(n, room);
      }
      return n;
    }

    void flush() throws IOException {
      if (length > 0) {
        output.write(channel, bytes, 0, length);
        length = 0;
      }
    }
  }

  static void copy(InputStream in, StreamOutput output, int channel) throws IOException {
    byte[] buffer = new byte[StreamFrame.MAX_DATA];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      if (n > 0) {
        output.write(channel, buffer, 0, n);
      }
    }
  }
}
