package io.outpost.identity;

import java.time.Clock;
import javax.net.ssl.SSLContext;

/**
 * This node's credentials for its TLS link to the bridge's broker: enrollment (a join, by the console's
 * {@code outpost:join} or unattended from the {@code join.*} keys) and renewal. Offered as an OSGi service by this
 * bundle (configured like the link: {@code identity.dir} and {@code join.*} in {@code io.outpost.sync}, or the
 * node-wide {@code io.outpost.node}); the sync asks it for the TLS context at every connect and for a renewal when
 * its heartbeat comes round, and reconnects when it renewed.
 */
public interface NodeCredentials {
  /** The file beside the identity that names the join endpoint it came from (renewals go there). */
  String BRIDGE_URL_FILE = "bridge.url";

  /**
   * TLS for the next connect, with this node's certificate; joins first if there is no identity yet and the
   * unattended-join keys are set. Throws {@link IllegalStateException} with the operator's next step if there is
   * none, or if it is another node's.
   */
  SSLContext tls();

  /**
   * Joins the bridge at {@code url} with a one-time {@code token}, trusting it by its CA's {@code sha256:}
   * fingerprint, and stores the identity (it is used from the next connect on). Throws {@link IllegalStateException}
   * with the bridge's reason if refused or unreachable.
   */
  NodeIdentity join(String url, String token, String caFingerprint);

  /**
   * Renews the certificate if two thirds of its lifetime have passed, through the join endpoint it came from; true
   * if it did (reconnect to use it). A failure is logged and retried a few minutes later; never throws.
   */
  boolean renewIfDue();

  /** Credentials kept in {@code enrollment}'s directory. */
  static NodeCredentials of(Enrollment enrollment, Clock clock) {
    return new EnrolledCredentials(enrollment, clock);
  }

  /**
   * Where this node's identity is kept and how it joins unattended ({@code join.url}, {@code join.token},
   * {@code join.ca}: all empty for none).
   */
  record Enrollment(String node, java.nio.file.Path identityDir, String joinUrl, String joinToken, String joinCa) {}
}
