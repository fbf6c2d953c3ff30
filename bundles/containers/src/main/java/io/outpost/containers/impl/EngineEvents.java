package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The engine's container event stream for one node's containers ({@code GET /events}, filtered by the node's
 * label), followed on a thread of its own until it ends, fails or is closed.
 */
final class EngineEvents implements Closeable {
  private final EngineHttp http;
  private final String path;
  private final Consumer<JsonNode> onEvent;
  private final Consumer<String> onEnd;
  private volatile EngineConnection connection;
  private volatile boolean closed;

  private EngineEvents(EngineHttp http, String node, Consumer<JsonNode> onEvent, Consumer<String> onEnd) {
    this.http = http;
    this.path = "/events?filters=" + EngineHttp.filters(Map.of("label", List.of(Naming.NODE + "=" + node),
        "type", List.of("container")));
    this.onEvent = onEvent;
    this.onEnd = onEnd;
  }

  /** Starts following; {@code onEvent} gets each event as the engine sends it, {@code onEnd} the reason it ended. */
  static EngineEvents follow(EngineHttp http, String node, Consumer<JsonNode> onEvent, Consumer<String> onEnd) {
    EngineEvents events = new EngineEvents(http, node, onEvent, onEnd);
    Thread thread = new Thread(events::run, "outpost-engine-events");
    thread.setDaemon(true);
    thread.start();
    return events;
  }

  /** The id of the container an event is about ({@code Actor.ID}, or the older {@code id}), or null. */
  static String containerId(JsonNode event) {
    String id = InspectedContainers.text(event.path("Actor"), "ID");
    return id != null ? id : InspectedContainers.text(event, "id");
  }

  private void run() {
    String why = "the event stream ended";
    try {
      connection = http.stream("events", "GET", path, Map.of());
      if (closed) {
        connection.close();
      }
      try (MappingIterator<JsonNode> events = EngineHttp.JSON.readerFor(JsonNode.class)
          .readValues(connection.body())) {
        while (events.hasNextValue()) {
          onEvent.accept(events.nextValue());
        }
      }
    } catch (EngineException e) {
      why = e.getMessage();
    } catch (IOException | RuntimeException e) {
      why = closed ? "closed" : "events: " + EngineHttp.message(e);
    } finally {
      EngineConnection open = connection;
      if (open != null) {
        open.close();
      }
    }
    onEnd.accept(why);
  }

  @Override
  public void close() {
    closed = true;
    EngineConnection open = connection;
    if (open != null) {
      open.close();
    }
  }
}
