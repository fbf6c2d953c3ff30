package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The volume requests of {@link DockerEngine}: named volumes of the engine's {@code local} driver. */
final class DockerVolumes {
  private final EngineHttp http;

  DockerVolumes(EngineHttp http) {
    this.http = http;
  }

  void create(String name, Map<String, String> driverOptions, Map<String, String> labels) {
    try {
      http.call("inspect volume " + name, "GET", "/volumes/" + name, null);
      return;
    } catch (EngineException e) {
      if (!EngineHttp.notFound(e)) {
        throw e;
      }
    }
    ObjectNode body = EngineHttp.JSON.createObjectNode().put("Name", name).put("Driver", "local");
    if (driverOptions != null) {
      driverOptions.forEach(body.putObject("DriverOpts")::put);
    }
    if (labels != null) {
      labels.forEach(body.putObject("Labels")::put);
    }
    http.call("create volume " + name, "POST", "/volumes/create", body);
  }

  Map<String, String> list(String node) {
    JsonNode answer = http.call("list volumes", "GET", "/volumes?filters="
        + EngineHttp.filters(Map.of("label", List.of(Naming.NODE + "=" + node))), null);
    Map<String, String> byName = new LinkedHashMap<>();
    if (answer != null) {
      for (JsonNode volume : answer.path("Volumes")) {
        Map<String, String> labels = InspectedContainers.strings(volume.path("Labels"));
        if (node.equals(labels.get(Naming.NODE))) { // the engine filtered; checked again as for containers
          byName.put(InspectedContainers.text(volume, "Name"), labels.get(Naming.POD_UID));
        }
      }
    }
    return byName;
  }

  void remove(String name) {
    try {
      http.call("remove volume " + name, "DELETE", "/volumes/" + name, null);
    } catch (EngineException e) {
      if (!EngineHttp.notFound(e)) {
        throw e;
      }
    }
  }
}
