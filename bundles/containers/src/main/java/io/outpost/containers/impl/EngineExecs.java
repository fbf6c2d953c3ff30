package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The requests of {@link DockerEngine} that read a container's output whole: its log, and a command run in it (an
 * exec probe) with its exit code. The relayed streams (followed logs, interactive execs) are {@link StreamOpener}'s.
 */
final class EngineExecs {
  private static final int EXEC_OUTPUT = 64 * 1024;

  private final EngineHttp http;

  EngineExecs(EngineHttp http) {
    this.http = http;
  }

  /** stdout and stderr interleaved, the last {@code tail} lines (all if negative), the newest {@code maxBytes}. */
  String logs(String id, int tail, int maxBytes) {
    String path = "/containers/" + id + "/logs?stdout=true&stderr=true" + (tail >= 0 ? "&tail=" + tail : "");
    return http.answer("logs " + id, "GET", path, null, EngineHttp.TIMEOUT, Map.of(),
        connection -> new LogCollector(maxBytes).read(connection.body())).text();
  }

  /** The command's exit code, or null if it did not finish within {@code timeout}. */
  Integer exec(String id, List<String> command, Duration timeout) {
    String what = "exec in " + id;
    ObjectNode create = EngineHttp.JSON.createObjectNode().put("AttachStdout", true).put("AttachStderr", true);
    command.forEach(create.putArray("Cmd")::add);
    JsonNode created = http.call(what, "POST", "/containers/" + id + "/exec", create);
    String exec = created == null ? null : InspectedContainers.text(created, "Id");
    if (exec == null) {
      throw new EngineException(what + ": the engine's answer has no exec id", null);
    }
    ObjectNode start = EngineHttp.JSON.createObjectNode().put("Detach", false).put("Tty", false);
    try {
      // The output is read (and dropped past 64 KiB) until the command ends: the stream ends with it.
      http.answer(what, "POST", "/exec/" + exec + "/start", start, timeout, Map.of(),
          connection -> new LogCollector(EXEC_OUTPUT).read(connection.body()));
    } catch (EngineException e) {
      if (EngineHttp.timedOut(e)) {
        return null;
      }
      throw e;
    }
    JsonNode inspected = http.call(what, "GET", "/exec/" + exec + "/json", null);
    return inspected == null || !inspected.hasNonNull("ExitCode") ? null : inspected.get("ExitCode").asInt();
  }
}
