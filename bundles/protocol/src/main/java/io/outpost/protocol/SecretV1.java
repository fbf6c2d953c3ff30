package io.outpost.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * A Kubernetes Secret as an edge node holds it: its {@code type} and {@code data}, base64-encoded as in the Kubernetes
 * API. Sent only to nodes running a pod that references it. {@link #toString()} never shows the values.
 */
public record SecretV1(String type, Map<String, String> data) {

  /** The decoded value of one key as UTF-8 text, or null. */
  public String text(String key) {
    if (data == null || !data.containsKey(key)) {
      return null;
    }
    return new String(Base64.getDecoder().decode(data.get(key)), StandardCharsets.UTF_8);
  }

  void validate() throws ProtocolException {
    Keys.validate(data, "secret.data", true);
  }

  @Override
  public String toString() {
    return "SecretV1[type=" + type + ", keys=" + (data == null ? "[]" : data.keySet()) + "]";
  }
}
