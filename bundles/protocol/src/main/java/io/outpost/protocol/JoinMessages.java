package io.outpost.protocol;

/**
 * Wire format of the bridge's join endpoint: the JSON bodies ({@code POST /v1/join}, {@code POST /v1/renew}); see
 * docs/security.md. Version 1.
 */
public final class JoinMessages {
  public static final int VERSION = 1;
  /** Largest request body the bridge reads; larger ones are refused before they are buffered. */
  public static final int MAX_REQUEST_BYTES = 16 * 1024;

  private JoinMessages() {}

  /** A join ({@code token} set) or renewal ({@code token} null: the TLS client certificate authenticates). */
  public record Request(int v, String node, String token, String csr) {
    @Override
    public String toString() {
      return "Request[v=" + v + ", node=" + node + ", token=" + (token == null ? "none" : "<hidden>") + "]";
    }
  }

  /** The signed certificate and the CA, in PEM; or an error with its reason. */
  public record Response(int v, String certificate, String ca, String reason, String message) {
    public static Response ok(String certificate, String ca) {
      return new Response(VERSION, certificate, ca, null, null);
    }

    public static Response error(String reason, String message) {
      return new Response(VERSION, null, null, reason, message);
    }
  }
}
