package io.outpost.protocol.stream;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ProtocolException.Reason;
import io.outpost.protocol.Topics;
import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a session asks of the edge, carried by its OPEN frame. The bridge fills it from the kubelet API request;
 * the edge checks it again (it trusts the bridge's decoding, not its input) and serves it only for a pod it runs.
 *
 * @param kind {@code logs}, {@code exec}, {@code attach} or {@code portforward}
 * @param podUid the pod's uid as the bridge knows it; the edge refuses a pod whose uid differs
 * @param container the container (logs, exec, attach)
 * @param tailLines logs: the last lines only, -1 for all
 * @param sinceSeconds logs: only the last seconds, 0 for all
 * @param limitBytes logs: at most this many bytes, 0 for no limit
 */
public record StreamRequest(String kind, String namespace, String pod, String podUid, String container,
    List<String> command, boolean stdin, boolean stdout, boolean stderr, boolean tty, boolean follow,
    int tailLines, boolean timestamps, boolean previous, long sinceSeconds, long limitBytes, int port) {
  public static final String LOGS = "logs";
  public static final String EXEC = "exec";
  public static final String PORT_FORWARD = "portforward";
  /** Attach to the container's own stdio ({@code kubectl attach}, {@code kubectl debug -it}); since 2.1. */
  public static final String ATTACH = "attach";
  private static final int MAX_ARGS = 128;
  private static final int MAX_ARG = 4096;
  /** All arguments together, in characters: even escaped as JSON (≤ 6 bytes each) the request fits one OPEN frame. */
  private static final int MAX_COMMAND = 8192;
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final ObjectMapper JSON = JsonMapper.builder()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
      .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
      .serializationInclusion(JsonInclude.Include.NON_NULL).build();

  public static StreamRequest logs(String namespace, String pod, String uid, String container, boolean follow,
      int tailLines, boolean timestamps, boolean previous, long sinceSeconds, long limitBytes) {
    return new StreamRequest(LOGS, namespace, pod, uid, container, null, false, true, false, false, follow,
        tailLines, timestamps, previous, sinceSeconds, limitBytes, 0);
  }

  public static StreamRequest exec(String namespace, String pod, String uid, String container, List<String> command,
      boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    return new StreamRequest(EXEC, namespace, pod, uid, container, List.copyOf(command), stdin, stdout, stderr, tty,
        false, -1, false, false, 0, 0, 0);
  }

  /**
   * An attach to the running process of {@code container}: its stdin (if the container keeps one open), its output.
   * {@code tty} is what the client asked; the node uses the container's own terminal setting, as a kubelet does.
   */
  public static StreamRequest attach(String namespace, String pod, String uid, String container, boolean stdin,
      boolean stdout, boolean stderr, boolean tty) {
    return new StreamRequest(ATTACH, namespace, pod, uid, container, null, stdin, stdout, stderr, tty, false, -1,
        false, false, 0, 0, 0);
  }

  public static StreamRequest portForward(String namespace, String pod, String uid, int port) {
    return new StreamRequest(PORT_FORWARD, namespace, pod, uid, null, null, true, true, false, false, false, -1,
        false, false, 0, 0, port);
  }

  public byte[] encode() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a stream request", e);
    }
  }

  public static StreamRequest decode(byte[] json) throws ProtocolException {
    StreamRequest request;
    try {
      request = JSON.readValue(json, StreamRequest.class);
    } catch (IOException e) {
      throw new ProtocolException(Reason.MALFORMED, "stream request is not valid JSON: " + e.getMessage());
    }
    if (request == null) {
      throw new ProtocolException(Reason.MALFORMED, "stream request is null");
    }
    request.validate();
    return request;
  }

  /** Throws naming the first field that is wrong. */
  public void validate() throws ProtocolException {
    if (kind == null || !List.of(LOGS, EXEC, ATTACH, PORT_FORWARD).contains(kind)) {
      throw invalid("unknown stream kind " + kind);
    }
    if (namespace == null || namespace.length() > 63 || !DNS_LABEL.matcher(namespace).matches()) {
      throw invalid("namespace " + namespace + " is not a DNS-1123 label");
    }
    if (!Topics.isValidNodeName(pod)) {
      throw invalid("pod name " + pod + " is not a DNS-1123 subdomain");
    }
    if (podUid == null || podUid.isEmpty() || podUid.length() > 64) {
      throw invalid("pod uid missing or too long");
    }
    if (!PORT_FORWARD.equals(kind) && (container == null || container.length() > 63
        || !DNS_LABEL.matcher(container).matches())) {
      throw invalid("container " + container + " is not a DNS-1123 label");
    }
    if (EXEC.equals(kind)) {
      if (command == null || command.isEmpty() || command.size() > MAX_ARGS) {
        throw invalid("exec needs 1 to " + MAX_ARGS + " command arguments");
      }
      int total = 0;
      for (String arg : command) {
        if (arg == null || arg.length() > MAX_ARG) {
          throw invalid("exec command argument missing or longer than " + MAX_ARG);
        }
        total += arg.length();
      }
      if (total > MAX_COMMAND) { // the request must fit one OPEN frame
        throw invalid("exec command longer than " + MAX_COMMAND + " characters in all");
      }
    }
    if (PORT_FORWARD.equals(kind) && (port < 1 || port > 65535)) {
      throw invalid("port " + port + " is out of range");
    }
    if (tailLines < -1 || sinceSeconds < 0 || limitBytes < 0) {
      throw invalid("negative log option");
    }
  }

  private static ProtocolException invalid(String message) {
    return new ProtocolException(Reason.INVALID, message);
  }

  /** For logs: {@code ns/pod/container}, for port-forward {@code ns/pod:port}. */
  public String describe() {
    return kind + " " + namespace + "/" + pod + (PORT_FORWARD.equals(kind) ? ":" + port : "/" + container);
  }
}
