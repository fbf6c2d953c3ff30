package io.outpost.containers.impl;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/1.1 exchange with the container engine on its own connection (every engine request: {@link EngineHttp}
 * for the short ones, and the streams — an exec whose stdin, stdout and stderr are relayed, a followed log with
 * back-pressure): the response body, or the hijacked connection after an upgrade, is read and written directly.
 * Reading and writing from two threads at once is safe (the channel's read and write locks are separate; JDK 17's
 * {@code Channels} streams would serialise them). Closing the connection ends the exchange at any point.
 */
final class EngineConnection implements AutoCloseable {
  private static final int MAX_HEAD = 64 * 1024;
  private static final int READ_BUFFER = 64 * 1024;
  private static final int CONNECT_TIMEOUT_MILLIS = 5000;

  private final SocketChannel channel;
  private final InputStream raw;
  private int status;
  private Map<String, String> headers = Map.of();
  private InputStream body;

  private EngineConnection(SocketChannel channel) {
    this.channel = channel;
    // Buffered: the head, chunk sizes and the 8-byte headers of multiplexed streams are read a few bytes at a
    // time. available() is what is buffered, so a reader can tell whether more is at hand without blocking.
    this.raw = new BufferedInputStream(new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
      }
    }, READ_BUFFER);
  }

  /** Connects to {@code unix:///path} or {@code tcp://host:port}. */
  static EngineConnection open(String host) throws IOException {
    URI uri = URI.create(host);
    SocketChannel channel;
    if ("unix".equals(uri.getScheme())) {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.connect(UnixDomainSocketAddress.of(uri.getPath()));
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } else if ("tcp".equals(uri.getScheme()) || "http".equals(uri.getScheme())) {
      channel = SocketChannel.open();
      try {
        channel.socket().connect(new InetSocketAddress(uri.getHost(), uri.getPort()), CONNECT_TIMEOUT_MILLIS);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } else {
      throw new IOException("unsupported engine host " + host + " (unix:// or tcp://)");
    }
    return new EngineConnection(channel);
  }

  /**
   * Opens a connection and sends a request; the connection is closed if anything fails, or if the engine has not
   * answered with a response head within {@code timeout} (a hung engine must not hold a stream's thread forever).
   */
  static EngineConnection exchange(String host, String method, String path, String json, boolean upgrade,
      ScheduledExecutorService watchdog, Duration timeout) throws IOException {
    EngineConnection connection = open(host);
    ScheduledFuture<?> alarm = watchdog.schedule(connection::close, timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      return connection.send(method, path, json, upgrade);
    } catch (IOException | RuntimeException e) {
      connection.close();
      if (alarm.isDone() && !alarm.isCancelled()) {
        throw new IOException("the engine did not answer " + method + " " + path + " within " + timeout.toSeconds()
            + " s", e);
      }
      throw e;
    } finally {
      alarm.cancel(false);
    }
  }

  /**
   * Sends a request and reads the response head. {@code upgrade}: ask the engine to hand over the connection (an
   * exec start); the body is then the raw stream both ways.
   */
  EngineConnection send(String method, String path, String json, boolean upgrade) throws IOException {
    return send(method, path, json, upgrade, Map.of());
  }

  /** As above, with more request header fields (a pull's {@code X-Registry-Auth}). */
  EngineConnection send(String method, String path, String json, boolean upgrade, Map<String, String> fields)
      throws IOException {
    byte[] content = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: engine\r\n");
    if (upgrade) {
      head.append("Connection: Upgrade\r\nUpgrade: tcp\r\n");
    }
    if (json != null) {
      head.append("Content-Type: application/json\r\n");
    }
    for (Map.Entry<String, String> field : fields.entrySet()) {
      head.append(field.getKey()).append(": ").append(field.getValue()).append("\r\n");
    }
    head.append("Content-Length: ").append(content.length).append("\r\n\r\n");
    write(head.toString().getBytes(StandardCharsets.US_ASCII));
    write(content);
    readHead();
    return this;
  }

  int status() {
    return status;
  }

  /** The response body: chunked bodies decoded; after an upgrade, everything the engine sends. */
  InputStream body() {
    return body;
  }

  /** The whole body as text (short answers: an exec's id, an error message). */
  String text(int limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int n;
    while (out.size() < limit && (n = body.read(buffer, 0, Math.min(buffer.length, limit - out.size()))) > 0) {
      out.write(buffer, 0, n);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  void write(byte[] data, int offset, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(data, offset, length);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  private void write(byte[] data) throws IOException {
    write(data, 0, data.length);
  }

  /** No more bytes towards the engine (an exec's stdin is closed); the response can still be read. */
  void shutdownOutput() throws IOException {
    channel.shutdownOutput();
  }

  private void readHead() throws IOException {
    StringBuilder line = new StringBuilder();
    Map<String, String> fields = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    int total = 0;
    boolean first = true;
    while (true) {
      int c = raw.read();
      if (c < 0) {
        throw new EOFException("the engine closed the connection before answering");
      }
      if (++total > MAX_HEAD) {
        throw new IOException("the engine's response head exceeds " + MAX_HEAD + " bytes");
      }
      if (c == '\n') {
        String text = line.toString().strip();
        line.setLength(0);
        if (first) {
          String[] parts = text.split(" ", 3);
          if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP response from the engine: " + text);
          }
          status = Integer.parseInt(parts[1]);
          first = false;
        } else if (text.isEmpty()) {
          break;
        } else {
          int colon = text.indexOf(':');
          if (colon > 0) {
            fields.put(text.substring(0, colon).strip(), text.substring(colon + 1).strip());
          }
        }
      } else {
        line.append((char) c);
      }
    }
    headers = fields;
    String encoding = headers.getOrDefault("Transfer-Encoding", "").toLowerCase(Locale.ROOT);
    String length = headers.get("Content-Length");
    if (status == 204 || status == 304 || (status >= 100 && status < 200 && status != 101)) {
      body = InputStream.nullInputStream(); // no body by definition (a start's 204): nothing to wait for
    } else if (encoding.contains("chunked")) {
      body = new ChunkedInput(raw);
    } else if (length != null && status != 101) {
      body = new BoundedInput(raw, Long.parseLong(length));
    } else {
      body = raw;
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // Nothing is left to do with a connection that fails to close.
    }
  }

  /** A stream whose single-byte read is its block read of one byte. */
  private abstract static class BlockInput extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }
  }

  /** A body of known length. */
  private static final class BoundedInput extends BlockInput {
    private final InputStream in;
    private long left;

    BoundedInput(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(left, in.available());
    }
  }

  /** {@code Transfer-Encoding: chunked}, decoded. */
  private static final class ChunkedInput extends BlockInput {
    private final InputStream in;
    private long left;
    private boolean done;

    ChunkedInput(InputStream in) {
      this.in = in;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (done) {
        return -1;
      }
      if (left == 0) {
        String size = line();
        if (size == null) {
          done = true;
          return -1;
        }
        int semicolon = size.indexOf(';');
        left = Long.parseLong((semicolon >= 0 ? size.substring(0, semicolon) : size).strip(), 16);
        if (left == 0) {
          done = true;
          return -1;
        }
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("the engine closed the connection inside a chunk");
      }
      left -= n;
      if (left == 0) {
        line(); // the CRLF after the chunk
      }
      return n;
    }

    /**
     * What can be read without blocking: the buffered rest of the current chunk; between chunks 1 if the next one
     * has begun to arrive (an engine writes a chunk's size and data together, and flushes every log line as a
     * chunk of its own, so 0 there would end every batch after one line).
     */
    @Override
    public int available() throws IOException {
      if (done) {
        return 0;
      }
      return left > 0 ? (int) Math.min(left, in.available()) : Math.min(1, in.available());
    }

    private String line() throws IOException {
      StringBuilder text = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        if (text.length() > 1024) {
          throw new IOException("chunk header too long");
        }
        text.append((char) c);
      }
      return c < 0 && text.length() == 0 ? null : text.toString().strip();
    }
  }
}
