package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.protocol.stream.PodStreams;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamRequest;
import io.outpost.store.EdgeStore;
import io.outpost.store.StoredPod;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code kubectl logs}, {@code exec} and {@code port-forward} for pods this node runs, from the engine: a
 * request is served only if the store holds the pod with the uid the bridge named and the engine runs it here.
 * Each stream reads on its own thread and blocks while the peer has no room (the engine, or the pod's socket, is
 * then not read either); closing a stream closes its engine connection or socket and nothing else.
 */
final class StreamOpener implements PodStreams, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamOpener.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final Settings settings;
  private final EdgeStore store;
  private final ContainerEngine engine;
  private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();

  StreamOpener(Settings settings, EdgeStore store, ContainerEngine engine) {
    this.settings = settings;
    this.store = store;
    this.engine = engine;
  }

  @Override
  public PodStream open(StreamRequest request, StreamOutput output) throws StreamException {
    StoredPod pod = store.pods().stream().filter(p -> request.namespace().equals(p.ref().namespace())
        && request.pod().equals(p.ref().name())).findFirst().orElseThrow(() -> new StreamException(404,
            "pod " + request.namespace() + "/" + request.pod() + " does not run on node " + settings.nodeName()));
    if (!request.podUid().equals(pod.ref().uid())) {
      throw new StreamException(404, "pod " + pod.ref().key() + " on node " + settings.nodeName() + " has uid "
          + pod.ref().uid() + ", not " + request.podUid());
    }
    List<EngineContainer> containers;
    try {
      containers = engine.list(settings.nodeName(), pod.ref().uid());
    } catch (EngineException e) {
      throw new StreamException(500, "cannot ask the container engine: " + e.getMessage());
    }
    try {
      return switch (request.kind()) {
        case StreamRequest.LOGS -> logs(request, container(request, containers), output);
        case StreamRequest.EXEC -> exec(request, running(request, containers), output);
        default -> portForward(request, containers, output);
      };
    } catch (IOException e) {
      throw new StreamException(500, request.describe() + ": " + e.getMessage());
    }
  }

  private static EngineContainer container(StreamRequest request, List<EngineContainer> containers)
      throws StreamException {
    return containers.stream().filter(c -> !Sandbox.isInfra(c) && request.container().equals(
        c.label(Naming.CONTAINER))).findFirst().orElseThrow(() -> new StreamException(404, "container "
            + request.container() + " is not valid for pod " + request.namespace() + "/" + request.pod()));
  }

  private static EngineContainer running(StreamRequest request, List<EngineContainer> containers)
      throws StreamException {
    EngineContainer container = container(request, containers);
    if (!container.running()) {
      throw new StreamException(409, "container " + request.container() + " is not running (" + container.status()
          + ")");
    }
    return container;
  }

  private PodStream logs(StreamRequest request, EngineContainer container, StreamOutput output)
      throws IOException, StreamException {
    StringBuilder query = new StringBuilder("/v1.41/containers/").append(container.id())
        .append("/logs?stdout=1&stderr=1&follow=").append(request.follow() ? 1 : 0)
        .append("&timestamps=").append(request.timestamps() ? 1 : 0);
    if (request.tailLines() >= 0) {
      query.append("&tail=").append(request.tailLines());
    }
    if (request.sinceSeconds() > 0) {
      query.append("&since=").append(Instant.now().getEpochSecond() - request.sinceSeconds());
    }
    if (request.previous()) {
      // Restarts reuse the container, so its log holds every run: the previous runs are what came before the
      // current one started (to the second — the engine's resolution).
      if (container.startedAt() == null || !hasRestarted(container)) {
        throw new StreamException(400, "previous terminated container " + request.container() + " in pod "
            + request.namespace() + "/" + request.pod() + " not found");
      }
      query.append("&until=").append(Instant.parse(container.startedAt()).getEpochSecond());
    }
    EngineConnection connection = engineCall("GET", query.toString(), null, false);
    long limit = request.limitBytes() > 0 ? request.limitBytes() : Long.MAX_VALUE;
    return reader("logs", request, output, connection, () -> {
      demultiplex(connection.body(), output, true, limit);
      return StreamEnd.ok(null);
    });
  }

  private boolean hasRestarted(EngineContainer container) {
    return store.lastStatus(container.label(Naming.POD_UID)).map(status -> status.containers() == null ? 0
        : status.containers().stream().filter(c -> container.label(Naming.CONTAINER).equals(c.name()))
            .mapToInt(c -> c.restartCount()).sum()).orElse(0) > 0;
  }

  private PodStream exec(StreamRequest request, EngineContainer container, StreamOutput output)
      throws IOException, StreamException {
    String create = JSON.createObjectNode().put("AttachStdin", request.stdin()).put("AttachStdout", request.stdout())
        .put("AttachStderr", request.stderr()).put("Tty", request.tty())
        .set("Cmd", JSON.valueToTree(request.command())).toString();
    String execId;
    try (EngineConnection created = engineCall("POST", "/v1.41/containers/" + container.id() + "/exec", create,
        false)) {
      execId = JSON.readTree(created.text(64 * 1024)).path("Id").asText();
    }
    EngineConnection connection = engineCall("POST", "/v1.41/exec/" + execId + "/start",
        JSON.createObjectNode().put("Detach", false).put("Tty", request.tty()).toString(), true);
    PodStream stream = reader("exec", request, output, connection, () -> {
      if (request.tty()) {
        copy(connection.body(), output, StreamFrame.OUT);
      } else {
        demultiplex(connection.body(), output, false, Long.MAX_VALUE);
      }
      return StreamEnd.ok(exitCode(execId));
    });
    return new PodStream() {
      @Override
      public void write(byte[] data, int offset, int length) throws IOException {
        connection.write(data, offset, length);
      }

      @Override
      public void closeInput() throws IOException {
        connection.shutdownOutput();
      }

      @Override
      public void resize(int width, int height) {
        if (!request.tty()) {
          return;
        }
        try (EngineConnection resize = EngineConnection.open(settings.engineHost()).send("POST", "/v1.41/exec/"
            + execId + "/resize?h=" + height + "&w=" + width, null, false)) {
          if (resize.status() >= 300) {
            LOG.debug("Resize of exec {} refused: {} {}", execId, resize.status(), resize.text(1024));
          }
        } catch (IOException e) {
          LOG.debug("Resize of exec {} failed: {}", execId, e.getMessage());
        }
      }

      @Override
      public void close() {
        stream.close();
      }
    };
  }

  /** The exit code once the engine has recorded it; the engine may report the exec running for a moment longer. */
  private Integer exitCode(String execId) throws IOException {
    for (int attempt = 0; attempt < 8; attempt++) {
      try (EngineConnection inspect = EngineConnection.open(settings.engineHost()).send("GET", "/v1.41/exec/"
          + execId + "/json", null, false)) {
        JsonNode state = JSON.readTree(inspect.text(256 * 1024));
        if (!state.path("Running").asBoolean(false) && state.hasNonNull("ExitCode")) {
          return state.get("ExitCode").asInt();
        }
      }
      // Back-off with jitter: 10 ms doubling, 2.5 s in all at most.
      long ceiling = 10_000_000L << attempt;
      java.util.concurrent.locks.LockSupport.parkNanos(ceiling / 2
          + java.util.concurrent.ThreadLocalRandom.current().nextLong(ceiling / 2));
    }
    return null;
  }

  private PodStream portForward(StreamRequest request, List<EngineContainer> containers, StreamOutput output)
      throws IOException, StreamException {
    String ip = containers.stream().filter(Sandbox::isInfra).map(EngineContainer::ip)
        .filter(address -> address != null && !address.isEmpty()).findFirst().orElseThrow(() ->
            new StreamException(409, "pod " + request.namespace() + "/" + request.pod() + " has no network yet"));
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(ip, request.port()), CONNECT_TIMEOUT_MS);
    } catch (IOException e) {
      socket.close();
      throw new StreamException(500, "failed to connect to port " + request.port() + " of pod "
          + request.namespace() + "/" + request.pod() + ": " + e.getMessage());
    }
    AutoCloseable closer = socket::close;
    PodStream stream = reader("port-forward", request, output, closer, () -> {
      copy(socket.getInputStream(), output, StreamFrame.OUT);
      return StreamEnd.ok(null);
    });
    return new PodStream() {
      @Override
      public void write(byte[] data, int offset, int length) throws IOException {
        socket.getOutputStream().write(data, offset, length);
      }

      @Override
      public void closeInput() throws IOException {
        socket.shutdownOutput();
      }

      @Override
      public void resize(int width, int height) {
        // A port has no terminal.
      }

      @Override
      public void close() {
        stream.close();
      }
    };
  }

  private EngineConnection engineCall(String method, String path, String json, boolean upgrade)
      throws IOException, StreamException {
    EngineConnection connection = EngineConnection.open(settings.engineHost());
    try {
      connection.send(method, path, json, upgrade);
      if (connection.status() >= 300) {
        String message = connection.text(4096);
        throw new StreamException(connection.status() == 404 ? 404 : 500, "the engine answered "
            + connection.status() + ": " + message.strip());
      }
      return connection;
    } catch (IOException | StreamException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  interface Body {
    StreamEnd run() throws IOException;
  }

  /** Runs {@code body} on its own thread; the stream ends with what it returns, or with the error it threw. */
  private PodStream reader(String kind, StreamRequest request, StreamOutput output, AutoCloseable resource,
      Body body) {
    open.add(resource);
    Thread thread = new Thread(() -> {
      StreamEnd end;
      try {
        end = body.run();
      } catch (IOException | RuntimeException e) {
        end = StreamEnd.error(503, request.describe() + " ended: " + e.getMessage());
      } finally {
        closeQuietly(resource);
        open.remove(resource);
      }
      output.end(end);
    }, "outpost-stream-" + kind);
    thread.setDaemon(true);
    thread.start();
    LOG.info("Serving {}", request.describe());
    return new PodStream() {
      @Override
      public void write(byte[] data, int offset, int length) throws IOException {
        throw new IOException(kind + " takes no input");
      }

      @Override
      public void closeInput() {
        // Nothing is sent towards the pod.
      }

      @Override
      public void resize(int width, int height) {
        // No terminal.
      }

      @Override
      public void close() {
        closeQuietly(resource);
        open.remove(resource);
      }
    };
  }

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

  private static void copy(InputStream in, StreamOutput output, int channel) throws IOException {
    byte[] buffer = new byte[StreamFrame.MAX_DATA];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      if (n > 0) {
        output.write(channel, buffer, 0, n);
      }
    }
  }

  private static void closeQuietly(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      LOG.debug("Closing a stream resource failed: {}", e.getMessage());
    }
  }

  /** Ends every open stream (the component stops); containers are not touched. */
  @Override
  public void close() {
    open.forEach(StreamOpener::closeQuietly);
    open.clear();
  }
}
