package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.containers.PodStreams;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamRequest;
import io.outpost.store.StoredPod;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code kubectl logs}, {@code exec}, {@code attach} ({@link ContainerAttach}) and {@code port-forward} for pods this node runs, from the engine: a
 * request is served only if the store holds the pod with the uid the bridge named and the engine runs it here.
 * Each stream reads on its own thread and blocks while the peer has no room (the engine, or the pod's socket, is
 * then not read either); closing a stream closes its engine connection or socket and nothing else.
 */
final class StreamOpener implements PodStreams, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamOpener.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final java.time.Duration ENGINE_TIMEOUT = java.time.Duration.ofSeconds(30);

  private final Settings settings;
  private final PodStore store;
  private final ContainerEngine engine;
  private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
  private final ContainerAttach attach = new ContainerAttach(this);
  /** Closes engine connections whose answer does not come (see {@link EngineConnection#exchange}). */
  private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "outpost-engine-watchdog");
    thread.setDaemon(true);
    return thread;
  });

  StreamOpener(Settings settings, PodStore store, ContainerEngine engine) {
    this.settings = settings;
    this.store = store;
    this.engine = engine;
  }

  @Override
  public PodStream open(StreamRequest request, StreamOutput output) throws StreamException {
    StoredPod pod = store.desired().pods().stream().filter(p -> request.namespace().equals(p.ref().namespace())
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
        case StreamRequest.ATTACH -> attach.open(request, running(request, containers), pod.pod(), output);
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
      // current one started. The engine takes a fractional UNIX time (seconds.nanoseconds), as precise as its log.
      if (container.startedAt() == null || !hasRestarted(container)) {
        throw new StreamException(400, "previous terminated container " + request.container() + " in pod "
            + request.namespace() + "/" + request.pod() + " not found");
      }
      Instant until = previousRunEnd(container.id());
      query.append("&until=").append(until.getEpochSecond()).append('.')
          .append(String.format("%09d", until.getNano()));
    }
    EngineConnection connection = engineCall("GET", query.toString(), null, false);
    long limit = request.limitBytes() > 0 ? request.limitBytes() : Long.MAX_VALUE;
    return reader("logs", request, output, connection, () -> {
      EngineStreams.demultiplex(connection.body(), output, true, limit);
      return StreamEnd.ok(null);
    });
  }

  /**
   * Where the previous run's log ends, to the engine's precision (the container list keeps whole seconds, which
   * would cut the previous run's last second of log when a restart follows within it): just after the previous
   * run finished. Not the current run's start: Podman records {@code StartedAt} after the process is running, so
   * the new run's first line can be stamped before it (seen in KubeletApiIT); it is never stamped before the
   * previous run's {@code FinishedAt}. The current start is the bound only if the engine kept no finish time.
   */
  private Instant previousRunEnd(String id) throws IOException, StreamException {
    try (EngineConnection inspect = engineCall("GET", "/v1.41/containers/" + id + "/json", null, false)) {
      com.fasterxml.jackson.databind.JsonNode state = JSON.readTree(inspect.text(1024 * 1024)).path("State");
      String startedText = state.path("StartedAt").asText("");
      Instant started;
      try {
        started = java.time.OffsetDateTime.parse(startedText).toInstant();
      } catch (java.time.format.DateTimeParseException e) {
        throw new StreamException(500, "the engine reports no start time for container " + id + ": "
            + startedText);
      }
      try {
        Instant finished = java.time.OffsetDateTime.parse(state.path("FinishedAt").asText("")).toInstant()
            .plusMillis(1);
        return finished.isAfter(Instant.EPOCH) && finished.isBefore(started) ? finished : started;
      } catch (java.time.format.DateTimeParseException e) {
        return started;
      }
    }
  }

  private boolean hasRestarted(EngineContainer container) {
    return store.statuses().last(container.label(Naming.POD_UID)).map(status -> status.containers() == null ? 0
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
        EngineStreams.copy(connection.body(), output, StreamFrame.OUT);
      } else {
        EngineStreams.demultiplex(connection.body(), output, false, Long.MAX_VALUE);
      }
      Integer exit = exitCode(execId);
      // Never a success the engine did not report: kubectl would take it for exit code 0.
      return exit == null ? StreamEnd.error(500, "the engine did not report the exit code of " + request.describe())
          : StreamEnd.ok(exit);
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
        try (EngineConnection resize = exchange("POST", "/v1.41/exec/" + execId + "/resize?h=" + height + "&w="
            + width, null, false)) {
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
      try (EngineConnection inspect = exchange("GET", "/v1.41/exec/" + execId + "/json", null, false)) {
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
      EngineStreams.copy(socket.getInputStream(), output, StreamFrame.OUT);
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

  EngineConnection engineCall(String method, String path, String json, boolean upgrade)
      throws IOException, StreamException {
    EngineConnection connection = exchange(method, path, json, upgrade);
    try {
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

  EngineConnection exchange(String method, String path, String json, boolean upgrade) throws IOException {
    return EngineConnection.exchange(settings.engineHost(), method, path, json, upgrade, watchdog, ENGINE_TIMEOUT);
  }

  interface Body {
    StreamEnd run() throws IOException;
  }

  /** Runs {@code body} on its own thread; the stream ends with what it returns, or with the error it threw. */
  PodStream reader(String kind, StreamRequest request, StreamOutput output, AutoCloseable resource,
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
    watchdog.shutdownNow();
  }
}
