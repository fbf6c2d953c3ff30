package io.outpost.containers.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image requests of {@link DockerEngine}: whether an image is present, the user it runs as, and pulls — with
 * registry credentials in {@code X-Registry-Auth}, the engine's progress followed on a thread of the pull's own until
 * it ends (no time limit: the manager bounds pulls itself).
 */
final class EngineImages {
  private static final Logger LOG = LoggerFactory.getLogger(EngineImages.class);

  private final EngineHttp http;

  EngineImages(EngineHttp http) {
    this.http = http;
  }

  boolean exists(String image) {
    try {
      http.call("inspect image " + image, "GET", "/images/" + image + "/json", null);
      return true;
    } catch (EngineException e) {
      if (EngineHttp.notFound(e)) {
        return false;
      }
      throw e;
    }
  }

  String user(String image) {
    JsonNode inspected = http.call("inspect image " + image, "GET", "/images/" + image + "/json", null);
    String user = inspected == null ? null : InspectedContainers.text(inspected.path("Config"), "User");
    return user == null ? "" : user;
  }

  Closeable pull(String image, PullSecrets.Credentials credentials, Consumer<String> done) {
    String[] ref = ImageRef.split(image);
    String path = "/images/create?fromImage=" + EngineHttp.query(ref[0]) + "&tag=" + EngineHttp.query(ref[1]);
    Map<String, String> headers = credentials == null ? Map.of() : Map.of("X-Registry-Auth", auth(credentials));
    Pull pull = new Pull(image, done);
    Thread thread = new Thread(() -> pull.run(path, headers), "outpost-engine-pull");
    thread.setDaemon(true);
    thread.start();
    return pull;
  }

  /** The registry credentials as the engine takes them: JSON, base64url. */
  static String auth(PullSecrets.Credentials credentials) {
    ObjectNode auth = EngineHttp.JSON.createObjectNode();
    putUnlessNull(auth, "username", credentials.username());
    putUnlessNull(auth, "password", credentials.password());
    putUnlessNull(auth, "serveraddress", credentials.registry());
    putUnlessNull(auth, "identitytoken", credentials.identityToken());
    try {
      return Base64.getUrlEncoder().encodeToString(EngineHttp.JSON.writeValueAsString(auth)
          .getBytes(StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void putUnlessNull(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  /** One pull: follows the engine's progress messages and reports its outcome once. */
  private final class Pull implements Closeable {
    private final String image;
    private final Consumer<String> done;
    private final AtomicBoolean reported = new AtomicBoolean();
    private volatile EngineConnection connection;
    private volatile boolean closed;

    Pull(String image, Consumer<String> done) {
      this.image = image;
      this.done = done;
    }

    void run(String path, Map<String, String> headers) {
      String error = null;
      try {
        connection = http.stream("pull " + image, "POST", path, headers);
        if (closed) {
          connection.close();
          return;
        }
        try (MappingIterator<JsonNode> progress = EngineHttp.JSON.readerFor(JsonNode.class)
            .readValues(connection.body())) {
          while (progress.hasNextValue()) {
            JsonNode item = progress.nextValue();
            String message = InspectedContainers.text(item.path("errorDetail"), "message");
            if (message == null) {
              message = InspectedContainers.text(item, "error");
            }
            if (message != null) {
              error = message;
            } else if (LOG.isTraceEnabled()) {
              LOG.trace("Pull of {}: {}", image, item);
            }
          }
        }
        report(error);
      } catch (EngineException e) { // the engine's own message, as the manager reports it
        report(closed ? "pull abandoned" : EngineHttp.message(e.getCause() instanceof EngineHttp.Refused refused
            ? refused : e));
      } catch (IOException | RuntimeException e) {
        report(closed ? "pull abandoned" : EngineHttp.message(e));
      } finally {
        EngineConnection open = connection;
        if (open != null) {
          open.close();
        }
      }
    }

    @Override
    public void close() {
      closed = true;
      report("pull abandoned");
      EngineConnection open = connection;
      if (open != null) {
        open.close();
      }
    }

    private void report(String outcome) {
      if (reported.compareAndSet(false, true)) {
        done.accept(outcome);
      }
    }
  }
}
