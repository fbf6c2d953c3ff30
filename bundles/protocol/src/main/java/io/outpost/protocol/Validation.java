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
}
