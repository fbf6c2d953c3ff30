package io.outpost.protocol.stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ProtocolException.Reason;
import java.io.IOException;

/**
 * How a session ended, carried by its END frame. The bridge turns it into what the kubelet API answers: an HTTP
 * status before a log stream starts, the {@code metav1.Status} on an exec's error stream, a message on a
 * port-forward's error stream.
 *
 * @param code HTTP-like: 200 done, 400 bad request, 404 no such pod or container, 409 not running, 429 too many
 *     streams, 500 engine failure, 503 stream aborted (peer gone, link lost)
 * @param exitCode exec: the command's exit code, null if unknown
 * @param message for a person; at most {@link #MAX_MESSAGE} characters
 */
public record StreamEnd(int code, Integer exitCode, String message) {
  public static final int MAX_MESSAGE = 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  public StreamEnd {
    if (message != null && message.length() > MAX_MESSAGE) {
      message = message.substring(0, MAX_MESSAGE);
    }
  }

  public static StreamEnd ok(Integer exitCode) {
    return new StreamEnd(200, exitCode, null);
  }

  public static StreamEnd error(int code, String message) {
    return new StreamEnd(code, null, message);
  }

  public boolean success() {
    return code == 200 && (exitCode == null || exitCode == 0);
  }

  public byte[] encode() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a stream end", e);
    }
  }

  public static StreamEnd decode(byte[] json) throws ProtocolException {
    try {
      StreamEnd end = JSON.readValue(json, StreamEnd.class);
      if (end == null || end.code < 100 || end.code > 599) {
        throw new ProtocolException(Reason.INVALID, "stream end without a valid code");
      }
      return end;
    } catch (IOException e) {
      throw new ProtocolException(Reason.MALFORMED, "stream end is not valid JSON: " + e.getMessage());
    }
  }
}
