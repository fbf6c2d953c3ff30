package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the container manager keeps of an engine's inspect answer ({@code GET /containers/{id}/json}). */
final class InspectedContainers {
  private InspectedContainers() {}

  static EngineContainer container(JsonNode inspect) {
    JsonNode state = inspect.path("State");
    boolean hasState = state.isObject();
    boolean running = state.path("Running").asBoolean(false);
    Map<String, String> labels = strings(inspect.path("Config").path("Labels"));
    String name = text(inspect, "Name");
    name = name == null ? null : name.replaceFirst("^/", "");
    String error = text(state, "Error");
    Integer exitCode = state.hasNonNull("ExitCode") ? state.get("ExitCode").asInt() : null;
    return new EngineContainer(text(inspect, "Id"), name, labels, text(state, "Status"), running,
        hasState ? exitCode : null, state.path("OOMKilled").asBoolean(false),
        error == null || error.isBlank() ? null : error,
        Timestamps.rfc3339(text(inspect, "Created")), hasState ? Timestamps.rfc3339(text(state, "StartedAt")) : null,
        hasState ? Timestamps.rfc3339(text(state, "FinishedAt")) : null, text(inspect, "Image"),
        ip(inspect.path("NetworkSettings")), hasState ? Timestamps.exact(text(state, "StartedAt")) : null,
        text(inspect.path("Config"), "StopSignal"));
  }

  /** The engine's state of a container ({@code running}, {@code exited}, ...) in an inspect answer, or null. */
  static String status(JsonNode inspect) {
    return text(inspect.path("State"), "Status");
  }

  /** A JSON object of strings as a map (empty if absent or null; null values left out). */
  static Map<String, String> strings(JsonNode object) {
    if (!object.isObject()) {
      return Map.of();
    }
    Map<String, String> map = new LinkedHashMap<>();
    object.fields().forEachRemaining(e -> {
      if (!e.getValue().isNull()) {
        map.put(e.getKey(), e.getValue().asText());
      }
    });
    return Map.copyOf(map);
  }

  /** A field's text, or null if it is absent or null. */
  static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private static String ip(JsonNode settings) {
    if (!settings.isObject()) {
      return null;
    }
    String address = text(settings, "IPAddress");
    if (address != null && !address.isBlank()) {
      return address;
    }
    for (JsonNode network : settings.path("Networks")) {
      String ip = text(network, "IPAddress");
      if (ip != null && !ip.isBlank()) {
        return ip;
      }
    }
    return null;
  }
}
