package io.outpost.bridge.join;

/** Test access to {@link JoinService#parse}: the reason a body is refused, or null if it parses. */
public final class JoinServiceParsing {
  private JoinServiceParsing() {}

  public static String refusalReason(byte[] body) {
    try {
      JoinService.parse(body);
      return null;
    } catch (JoinService.Refusal e) {
      return e.reason;
    }
  }
}
