package io.outpost.protocol;

import java.util.Map;

/**
 * A Kubernetes ConfigMap as an edge node holds it: {@code data} (UTF-8 strings) and {@code binaryData} (base64), as in
 * the Kubernetes API. Sent only to nodes running a pod that references it.
 */
public record ConfigMapV1(Map<String, String> data, Map<String, String> binaryData) {

  /** The value of one key as text, looking in {@code data} then {@code binaryData} (decoded as UTF-8). */
  public String text(String key) {
    if (data != null && data.containsKey(key)) {
      return data.get(key);
    }
    if (binaryData != null && binaryData.containsKey(key)) {
      return new String(java.util.Base64.getDecoder().decode(binaryData.get(key)),
          java.nio.charset.StandardCharsets.UTF_8);
    }
    return null;
  }

  void validate() throws ProtocolException {
    Keys.validate(data, "configMap.data", false);
    Keys.validate(binaryData, "configMap.binaryData", true);
  }
}
