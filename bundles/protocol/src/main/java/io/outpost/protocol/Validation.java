package io.outpost.protocol;

final class Validation {
  private Validation() {}

  static void require(Object value, String field) throws ProtocolException {
    if (value == null || (value instanceof String s && s.isEmpty())) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "missing field '" + field + "'");
    }
  }

  static void requireVersion(int v) throws ProtocolException {
    if (v != Codec.VERSION) {
      throw new ProtocolException(ProtocolException.Reason.UNSUPPORTED_VERSION,
          "payload version " + v + " is not supported (this side speaks " + Codec.VERSION + ")");
    }
  }

  /** A value quoted in a reason: at most 64 characters, control characters shown as '?'. */
  static String clip(String text) {
    if (text == null) {
      return "null";
    }
    String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    return shown.replaceAll("\\p{Cntrl}", "?");
  }

  /** A list of at most {@code max} non-null entries (null counts as empty). */
  static void requireSize(java.util.List<?> list, int max, String field) throws ProtocolException {
    if (list != null && list.size() > max) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " has " + list.size()
          + " entries, at most " + max + " are accepted");
    }
    if (list != null && list.stream().anyMatch(java.util.Objects::isNull)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " has a null entry");
    }
  }

  static void requireOneOf(String value, java.util.Set<String> allowed, String field) throws ProtocolException {
    if (value != null && !allowed.contains(value)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " must be one of "
          + new java.util.TreeSet<>(allowed) + ", was '" + clip(value) + "'");
    }
  }

  static void requirePort(Integer port, String field) throws ProtocolException {
    if (port != null && (port < 1 || port > 65535)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " must be 1..65535, was " + port);
    }
  }

  static void requireMaxLength(String value, int max, String field) throws ProtocolException {
    if (value != null && value.length() > max) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " is longer than " + max
          + " characters");
    }
  }
}
