package io.outpost.containers.impl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Collects a container's log or an exec's output from the engine's multiplexed stream (8-byte header: stream, three
 * zero bytes, big-endian length; stdout and stderr interleaved), keeping at most the newest {@code maxBytes}. A
 * stream that does not start with such a header (a container with a TTY) is kept as it comes.
 */
final class LogCollector {
  private final int maxBytes;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private boolean truncated;

  LogCollector(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Reads {@code in} to its end. */
  LogCollector read(InputStream in) throws IOException {
    byte[] header = new byte[8];
    int n = in.readNBytes(header, 0, 8);
    if (n < 8 || header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
      append(header, n);
      byte[] buffer = new byte[8192];
      while ((n = in.read(buffer)) >= 0) {
        append(buffer, n);
      }
      return this;
    }
    byte[] payload = new byte[8192];
    do {
      long left = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
          | (header[7] & 0xff);
      while (left > 0) {
        n = in.read(payload, 0, (int) Math.min(payload.length, left));
        if (n < 0) {
          return this; // the engine ended the stream inside a frame: what came is kept
        }
        append(payload, n);
        left -= n;
      }
    } while (in.readNBytes(header, 0, 8) == 8);
    return this;
  }

  private void append(byte[] bytes, int length) {
    out.write(bytes, 0, length);
    if (out.size() > maxBytes * 2) {
      keepNewest();
    }
  }

  private void keepNewest() {
    byte[] all = out.toByteArray();
    out.reset();
    out.write(all, all.length - maxBytes, maxBytes);
    truncated = true;
  }

  String text() {
    if (out.size() > maxBytes) {
      keepNewest();
    }
    String text = out.toString(StandardCharsets.UTF_8);
    return truncated ? "[... older log lines left out: more than " + maxBytes + " bytes]\n" + text : text;
  }
}
