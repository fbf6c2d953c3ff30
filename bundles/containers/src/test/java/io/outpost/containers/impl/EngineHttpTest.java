package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine client's HTTP handling against answers a real engine gives rarely or never on demand (errors in each
 * shape, chunked bodies, malformed JSON, no answer): a unix socket in a temporary directory answers each request
 * with the given bytes. The requests themselves are tested against Podman (ReconcilerPodmanTest and the others).
 */
class EngineHttpTest {
  @TempDir
  Path dir;

  private ServerSocketChannel server;
  private Thread acceptor;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final List<SocketChannel> held = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
      acceptor.join(5000);
    }
    for (SocketChannel channel : held) {
      channel.close();
    }
  }

  /** Answers every request with {@code answer} (null: reads the request and never answers). */
  private EngineHttp engine(String answer) throws IOException {
    Path socket = dir.resolve("engine.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(() -> {
      while (server.isOpen()) {
        try {
          SocketChannel client = server.accept();
          ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
          StringBuilder request = new StringBuilder();
          while (!complete(request.toString()) && client.read(buffer) > 0) {
            request.append(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
            buffer.clear();
          }
          requests.add(request.toString());
          if (answer == null) {
            held.add(client);
          } else {
            client.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)));
            client.close();
          }
        } catch (IOException e) {
          return; // the server socket was closed: the test is over
        }
      }
    });
    acceptor.start();
    return new EngineHttp("unix://" + socket);
  }

  /** Whether a request has come whole: its head and the body its Content-Length announces. */
  private static boolean complete(String request) {
    int end = request.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    java.util.regex.Matcher length = java.util.regex.Pattern.compile("Content-Length: (\\d+)").matcher(request);
    return !length.find() || request.length() - end - 4 >= Integer.parseInt(length.group(1));
  }

  @Test
  void anErrorAnswerBecomesAnEngineExceptionWithTheEnginesMessageAndStatus() throws Exception {
    String body = "{\"cause\":\"no such container\",\"message\":\"no such container: abc\",\"response\":404}";
    try (EngineHttp http = engine("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length() + "\r\n\r\n" + body)) {
      assertThatThrownBy(() -> http.call("inspect abc", "GET", "/containers/abc/json", null))
          .isInstanceOf(EngineException.class).hasMessage("inspect abc: no such container: abc")
          .satisfies(e -> assertThat(EngineHttp.notFound((EngineException) e)).isTrue());
    }
    assertThat(requests.get(0)).startsWith("GET /v1.41/containers/abc/json HTTP/1.1\r\n")
        .contains("Connection: close\r\n");
  }

  @Test
  void aServerErrorInPlainTextKeepsItsTextAndIsNotANotFound() throws Exception {
    try (EngineHttp http = engine("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 12\r\n\r\nstorage full")) {
      assertThatThrownBy(() -> http.call("create web", "POST", "/containers/create", Map.of("Image", "x")))
          .isInstanceOf(EngineException.class).hasMessage("create web: storage full")
          .satisfies(e -> assertThat(EngineHttp.notFound((EngineException) e)).isFalse());
    }
    assertThat(requests.get(0)).contains("Content-Type: application/json\r\n").contains("Content-Length: 13\r\n");
  }

  @Test
  void anEmptyErrorAnswerNamesItsStatus() throws Exception {
    try (EngineHttp http = engine("HTTP/1.1 304 Not Modified\r\n\r\n")) {
      assertThatThrownBy(() -> http.call("start abc", "POST", "/containers/abc/start", null))
          .isInstanceOf(EngineException.class).hasMessage("start abc: HTTP status 304");
    }
  }

  @Test
  void aChunkedAnswerIsDecoded() throws Exception {
    try (EngineHttp http = engine("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "7\r\n{\"Id\": \r\n8\r\n\"abc123\"\r\n1\r\n}\r\n0\r\n\r\n")) {
      assertThat(http.call("create web", "POST", "/containers/create", null).get("Id").asText())
          .isEqualTo("abc123");
    }
  }

  @Test
  void noContentIsNullAndDoesNotWaitForTheConnectionToClose() throws Exception {
    // The connection stays open after the answer: a 204 has no body, and nothing may wait for one.
    try (EngineHttp http = engineHolding("HTTP/1.1 204 No Content\r\n\r\n")) {
      assertThat(http.call("start abc", "POST", "/containers/abc/start", null, Duration.ofSeconds(5), Map.of()))
          .isNull();
    }
  }

  /** Answers every request with {@code answer} and keeps the connection open, as a keep-alive engine would. */
  private EngineHttp engineHolding(String answer) throws IOException {
    Path socket = dir.resolve("holding.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(() -> {
      try {
        SocketChannel client = server.accept();
        held.add(client);
        client.read(ByteBuffer.allocate(64 * 1024));
        client.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)));
      } catch (IOException e) {
        // the test is over
      }
    });
    acceptor.start();
    return new EngineHttp("unix://" + socket);
  }

  @Test
  void malformedJsonIsAnEngineExceptionSayingSo() throws Exception {
    try (EngineHttp http = engine("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{\"Id\": [}")) {
      assertThatThrownBy(() -> http.call("inspect abc", "GET", "/containers/abc/json", null))
          .isInstanceOf(EngineException.class).hasMessageStartingWith("inspect abc: malformed JSON from the engine");
    }
  }

  @Test
  void anEngineThatDoesNotAnswerTimesOut() throws Exception {
    try (EngineHttp http = engine(null)) {
      assertThatThrownBy(() -> http.call("list containers", "GET", "/containers/json", null, Duration.ofMillis(300),
          Map.of())).isInstanceOf(EngineException.class)
          .hasMessage("list containers: the engine did not answer within 300 ms")
          .satisfies(e -> assertThat(EngineHttp.timedOut((EngineException) e)).isTrue());
    }
  }

  @Test
  void anUnreachableEngineIsAnEngineException() {
    try (EngineHttp http = new EngineHttp("unix://" + dir.resolve("absent.sock"))) {
      assertThatThrownBy(() -> http.call("version", "GET", "/version", null)).isInstanceOf(EngineException.class)
          .hasMessageStartingWith("version: ");
    }
  }
}
