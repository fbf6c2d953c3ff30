package io.outpost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Counts an edge's running containers through the Podman API service's socket (one HTTP request, no process), so
 * that a harness polling every 50 ms does not itself load the machine the way a {@code podman ps} process per poll
 * does (each one a Go binary taking the storage lock, ~100 ms of CPU on these 2 cores).
 */
final class EngineProbe {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INFRA = "POD";

  private final Path socket;
  private final String node;

  EngineProbe(Path socket, String node) {
    this.socket = socket;
    this.node = node;
  }

  /** Running app containers (the pods' infra containers not counted) labelled with this node. */
  long runningApps() {
    String filters = "{\"label\":[\"io.outpost.node=" + node + "\"],\"status\":[\"running\"]}";
    JsonNode list = get("/v1.41/containers/json?filters=" + URLEncoder.encode(filters, StandardCharsets.UTF_8));
    long count = 0;
    for (JsonNode container : list) {
      if (!INFRA.equals(container.path("Labels").path("io.outpost.container").asText())) {
        count++;
      }
    }
    return count;
  }

  private JsonNode get(String path) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.0\r\nHost: podman\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
      while (channel.read(buffer) >= 0) {
        answer.write(buffer.array(), 0, buffer.position());
        buffer.clear();
      }
      String text = answer.toString(StandardCharsets.UTF_8);
      int body = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.") || body < 0 || !text.substring(9, 12).equals("200")) {
        throw new IllegalStateException("engine answered " + text.lines().findFirst().orElse("nothing")
            + " to GET " + path);
      }
      return JSON.readTree(text.substring(body + 4));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot ask the engine at " + socket, e);
    }
  }
}
