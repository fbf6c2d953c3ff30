package io.outpost.protocol;

import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks the keys (and, for base64 maps, the values) of ConfigMap and Secret data as the Kubernetes API does. */
final class Keys {
  /** Kubernetes' rule for ConfigMap and Secret keys: alphanumerics, '-', '_' or '.', at most 253 characters. */
  private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  private Keys() {}

  static void validate(Map<String, String> map, String field, boolean base64) throws ProtocolException {
    if (map == null) {
      return;
    }
    for (Map.Entry<String, String> entry : map.entrySet()) {
      String key = entry.getKey();
      if (key == null || key.length() > 253 || !KEY.matcher(key).matches() || key.equals(".")
          || key.equals("..")) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "invalid key '" + key + "' in " + field);
      }
      if (entry.getValue() == null) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "null value for '" + key + "' in " + field);
      }
      if (base64) {
        try {
          Base64.getDecoder().decode(entry.getValue());
        } catch (IllegalArgumentException e) {
          throw new ProtocolException(ProtocolException.Reason.INVALID,
              "value of '" + key + "' in " + field + " is not base64");
        }
      }
    }
  }
}
