package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.containers.PodStreams.PodStream;
import io.outpost.containers.PodStreams.StreamException;
import io.outpost.containers.PodStreams.StreamOutput;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kubectl attach} (and {@code kubectl debug -it}): the client joins the stdio of the container's own process
 * through the engine ({@code POST /containers/{id}/attach}, hijacked), as a kubelet attaches through its runtime.
 * Input is taken only by a container created with {@code stdin: true} (refused with 400 otherwise); whether the
 * output is a terminal is the container's {@code tty}, not the request's (the process's terminal cannot change after
 * it started). Only output written after the attach is seen. The stream ends when the container's process exits or
 * the client goes; it carries no exit code.
 */
final class ContainerAttach {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerAttach.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final StreamOpener opener;

  ContainerAttach(StreamOpener opener) {
    this.opener = opener;
  }

  PodStream open(StreamRequest request, EngineContainer container, PodV1 pod, StreamOutput output)
      throws IOException, StreamException {
    ContainerV1 spec = spec(pod, request.container());
    if (request.stdin() && !Boolean.TRUE.equals(spec.stdin())) {
      throw new StreamException(400, "container " + request.container() + " in pod " + request.namespace() + "/"
          + request.pod() + " was not created with stdin: true: there is no input to attach to (attach without -i)");
    }
    boolean tty = engineTty(container.id());
    String path = "/v1.41/containers/" + container.id() + "/attach?stream=1&stdin=" + (request.stdin() ? 1 : 0)
        + "&stdout=" + (request.stdout() ? 1 : 0) + "&stderr=" + (request.stderr() ? 1 : 0);
    EngineConnection connection = opener.engineCall("POST", path, null, true);
    PodStream stream = opener.reader("attach", request, output, connection, () -> {
      if (tty) {
        EngineStreams.copy(connection.body(), output, StreamFrame.OUT);
      } else {
        EngineStreams.demultiplex(connection.body(), output, false, Long.MAX_VALUE);
      }
      return StreamEnd.ok(null);
    });
    return new PodStream() {
      @Override
      public void write(byte[] data, int offset, int length) throws IOException {
        if (!request.stdin()) {
          throw new IOException("attach without stdin takes no input");
        }
        connection.write(data, offset, length);
      }

      @Override
      public void closeInput() throws IOException {
        if (request.stdin()) {
          connection.shutdownOutput(); // a container with stdinOnce sees the end of its input
        }
      }

      @Override
      public void resize(int width, int height) {
        if (!tty) {
          return;
        }
        try (EngineConnection resize = opener.exchange("POST", "/v1.41/containers/" + container.id() + "/resize?h="
            + height + "&w=" + width, null, false)) {
          if (resize.status() >= 300) {
            LOG.debug("Resize of container {} refused: {} {}", container.id(), resize.status(), resize.text(1024));
          }
        } catch (IOException e) {
          LOG.debug("Resize of container {} failed: {}", container.id(), e.getMessage());
        }
      }

      @Override
      public void close() {
        stream.close();
      }
    };
  }

  /** The container's spec (app, init or ephemeral container of the pod). */
  private static ContainerV1 spec(PodV1 pod, String name) throws StreamException {
    List<ContainerV1> all = new ArrayList<>(pod.containers());
    all.addAll(pod.initContainersInOrder());
    all.addAll(pod.ephemeralContainersInOrder());
    return all.stream().filter(c -> name.equals(c.name())).findFirst().orElseThrow(() -> new StreamException(404,
        "container " + name + " is not valid for the pod"));
  }

  /** Whether the engine gave the container a terminal (then its output is one raw stream, not multiplexed). */
  private boolean engineTty(String id) throws IOException, StreamException {
    try (EngineConnection inspect = opener.engineCall("GET", "/v1.41/containers/" + id + "/json", null, false)) {
      JsonNode config = JSON.readTree(inspect.text(1024 * 1024)).path("Config");
      return config.path("Tty").asBoolean(false);
    }
  }
}
