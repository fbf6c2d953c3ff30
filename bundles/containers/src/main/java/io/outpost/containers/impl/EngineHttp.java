package io.outpost.containers.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Docker Engine API (version {@value #API_VERSION}, which Podman serves) over HTTP/1.1 on the engine's unix
 * socket (or TCP): one connection per request ({@link EngineConnection}), JSON with Jackson. A request's answer
 * must come whole within {@link #TIMEOUT} (a watchdog closes the connection otherwise); an answer outside 2xx
 * becomes an {@link EngineException} with the engine's own message and a {@link Refused} cause carrying the status.
 */
final class EngineHttp implements AutoCloseable {
  static final String API_VERSION = "1.41";
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ANSWER = 64 * 1024 * 1024;

  private final String host;
  private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "outpost-engine-timeouts");
    thread.setDaemon(true);
    return thread;
  });

  EngineHttp(String host) {
    this.host = host;
  }

  /** The engine's refusal: its HTTP status and message; the cause of the {@link EngineException} thrown. */
  static final class Refused extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;

    Refused(int status, String message) {
      super("HTTP " + status + ": " + message);
      this.status = status;
    }

    int status() {
      return status;
    }
  }

  /** The engine did not answer within the request's time; the cause of the {@link EngineException} thrown. */
  static final class TimedOut extends IOException {
    private static final long serialVersionUID = 1L;

    TimedOut(Duration timeout, Throwable cause) {
      super("the engine did not answer within " + (timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s"
          : timeout.toMillis() + " ms"), cause);
    }
  }

  /** Whether {@code e} is a request the engine did not answer in time (the connection was closed). */
  static boolean timedOut(EngineException e) {
    return e.getCause() instanceof TimedOut;
  }

  /** Whether {@code e} is the engine answering 404 (no such container, image, volume, exec). */
  static boolean notFound(EngineException e) {
    return e.getCause() instanceof Refused refused && refused.status() == 404;
  }

  /** A request whose answer is JSON (or empty: then {@code null}); {@code what} names it in errors. */
  JsonNode call(String what, String method, String path, Object body) {
    return call(what, method, path, body, TIMEOUT, Map.of());
  }

  /**
   * As above, with the time the whole answer may take and extra request headers. The answer is read whole, so
   * that a request's connection is closed when it returns.
   */
  JsonNode call(String what, String method, String path, Object body, Duration timeout, Map<String, String> headers) {
    String text = answer(what, method, path, body, timeout, headers, (connection) -> connection.text(MAX_ANSWER));
    try {
      return text.isBlank() ? null : JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new EngineException(what + ": malformed JSON from the engine (" + e.getOriginalMessage() + ")", e);
    }
  }

  /** Reads an answer's body with {@code reader} within {@code timeout}; a refusal or failure is thrown. */
  <T> T answer(String what, String method, String path, Object body, Duration timeout, Map<String, String> headers,
      BodyReader<T> reader) {
    AtomicBoolean late = new AtomicBoolean();
    EngineConnection connection = null;
    ScheduledFuture<?> alarm = null;
    try {
      connection = EngineConnection.open(host);
      alarm = closeAfter(connection, timeout, late);
      connection.send(method, versioned(path), body == null ? null : JSON.writeValueAsString(body), false,
          closing(headers));
      refuseUnlessOk(connection);
      return reader.read(connection);
    } catch (EngineException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw failed(what, e, late.get(), timeout);
    } finally {
      if (alarm != null) {
        alarm.cancel(false);
      }
      if (connection != null) {
        connection.close();
      }
    }
  }

  /**
   * Opens a streaming request (a pull's progress, the event stream): the answer's head must come within
   * {@link #TIMEOUT}, the body is read by the caller without a time limit; a refusal is thrown as for
   * {@link #call}. The caller closes the connection.
   */
  EngineConnection stream(String what, String method, String path, Map<String, String> headers) {
    EngineConnection connection = null;
    ScheduledFuture<?> alarm = null;
    AtomicBoolean late = new AtomicBoolean();
    try {
      connection = EngineConnection.open(host);
      alarm = closeAfter(connection, TIMEOUT, late);
      connection.send(method, versioned(path), null, false, closing(headers));
      alarm.cancel(false);
      if (late.get()) {
        throw new ClosedChannelException();
      }
      refuseUnlessOk(connection);
      return connection;
    } catch (IOException | RuntimeException e) {
      if (connection != null) {
        connection.close();
      }
      if (e instanceof EngineException engine) {
        throw engine;
      }
      throw failed(what, e, late.get(), TIMEOUT);
    } finally {
      if (alarm != null) {
        alarm.cancel(false);
      }
    }
  }

  /** Closes {@code connection} once {@code timeout} has passed, marking it {@code late}; cancel to disarm. */
  private ScheduledFuture<?> closeAfter(EngineConnection connection, Duration timeout, AtomicBoolean late) {
    return watchdog.schedule(() -> {
      late.set(true);
      connection.close();
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** What a request that failed with {@code e} is reported as: timed out if its watchdog fired, else {@code e}. */
  private static EngineException failed(String what, Exception e, boolean late, Duration timeout) {
    if (late) {
      TimedOut timedOut = new TimedOut(timeout, e);
      return new EngineException(what + ": " + timedOut.getMessage(), timedOut);
    }
    return new EngineException(what + ": " + message(e), e);
  }

  /** The request's header fields and {@code Connection: close}: one request per connection, the engine closes it. */
  private static Map<String, String> closing(Map<String, String> headers) {
    Map<String, String> fields = new java.util.LinkedHashMap<>(headers);
    fields.put("Connection", "close");
    return fields;
  }

  /** Schedules {@code task} on the engine client's timer thread. */
  ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return watchdog.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static void refuseUnlessOk(EngineConnection connection) throws IOException {
    int status = connection.status();
    if (status < 200 || status > 299) {
      // 304 (a start of a running container) is a refusal too, as docker-java treated it.
      String body = connection.text(64 * 1024);
      throw new Refused(status, engineMessage(body, status));
    }
  }

  /** The engine's own message from an error body ({@code {"message": ...}}), else the body, else the status. */
  static String engineMessage(String body, int status) {
    String text = body == null ? "" : body.strip();
    if (text.startsWith("{")) {
      try {
        JsonNode json = JSON.readTree(text);
        if (json.hasNonNull("message")) {
          return json.get("message").asText();
        }
      } catch (IOException e) {
        return text;
      }
    }
    return text.isEmpty() ? "HTTP status " + status : text;
  }

  /** The message of a failed request: the engine's own for a refusal. */
  static String message(Throwable error) {
    if (error instanceof Refused refused) {
      String text = refused.getMessage();
      return text.substring(text.indexOf(": ") + 2);
    }
    String text = error.getMessage();
    return text == null || text.isBlank() ? error.getClass().getSimpleName() : text.strip();
  }

  /** {@code path} under the API version ({@code /v1.41/containers/json}). */
  static String versioned(String path) {
    return "/v" + API_VERSION + path;
  }

  /** A URL query parameter's value, encoded. */
  static String query(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** The {@code filters} query parameter: each key with its values ({@code {"label": ["k=v"]}}), encoded. */
  static String filters(Map<String, List<String>> filters) {
    try {
      return query(JSON.writeValueAsString(filters));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Label filters for {@code labels}: one {@code key=value} each. */
  static List<String> labelFilter(Map<String, String> labels) {
    return labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList();
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
  }

  /** Reads an answer's body. */
  @FunctionalInterface
  interface BodyReader<T> {
    T read(EngineConnection connection) throws IOException;
  }
}
