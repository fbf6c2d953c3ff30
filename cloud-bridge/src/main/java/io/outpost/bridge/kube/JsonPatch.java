package io.outpost.bridge.kube;

import java.util.LinkedHashMap;
import java.util.Map;

/** RFC 6902 JSON Patch operations, as the bridge's patches of Nodes and Pods are built. */
public final class JsonPatch {
  private JsonPatch() {}

  /** One operation; {@code value} null for one without a value. */
  public static Map<String, Object> op(String op, String path, Object value) {
    Map<String, Object> operation = new LinkedHashMap<>();
    operation.put("op", op);
    operation.put("path", path);
    if (value != null) {
      operation.put("value", value);
    }
    return operation;
  }
}
