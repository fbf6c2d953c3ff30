package io.outpost.protocol;

/** A message that cannot be accepted. The reason is the label under which the rejection is counted. */
public final class ProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  public enum Reason {
    OVERSIZED("oversized"),
    MALFORMED("malformed"),
    UNSUPPORTED_VERSION("unsupported_version"),
    INVALID("invalid"),
    WRONG_NODE("wrong_node"),
    UNKNOWN_TOPIC("unknown_topic");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final Reason reason;

  public ProtocolException(Reason reason, String message) {
    super(reason.label() + ": " + message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
