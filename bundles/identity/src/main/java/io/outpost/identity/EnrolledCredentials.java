package io.outpost.identity;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link NodeCredentials} kept in a directory: the identity in {@code identity.dir}, obtained by {@code outpost:join}
 * or, unattended, from {@code join.url}/{@code join.token}/{@code join.ca} at the first connect; read again at every
 * connect (so a join or a renewal takes effect on the next one) and renewed at two thirds of the certificate's
 * lifetime through the join endpoint it came from ({@code bridge.url} beside it).
 */
final class EnrolledCredentials implements NodeCredentials {
  private static final Logger LOG = LoggerFactory.getLogger(EnrolledCredentials.class);

  /** After a failed renewal, the next attempt waits this long (the certificate still has a third of its life). */
  static final java.time.Duration RENEWAL_RETRY = java.time.Duration.ofMinutes(5);

  private final Enrollment enrollment;
  private final Clock clock;
  /** Before this instant the identity is not even read: its renewal is not due, or the last attempt failed. */
  private volatile java.time.Instant nextRenewal = java.time.Instant.MIN;

  EnrolledCredentials(Enrollment enrollment, Clock clock) {
    this.enrollment = enrollment;
    this.clock = clock;
  }

  @Override
  public SSLContext tls() {
    Optional<NodeIdentity> identity = NodeIdentity.load(enrollment.identityDir());
    if (identity.isEmpty() && !enrollment.joinToken().isEmpty()) {
      identity = Optional.of(join(enrollment.joinUrl(), enrollment.joinToken(), enrollment.joinCa()));
    }
    NodeIdentity current = identity.orElseThrow(() -> new IllegalStateException("node " + enrollment.node()
        + " has no identity yet: run 'outpost:join <bridge-url> <token> <ca-fingerprint>' in the console, or set"
        + " join.url, join.token and join.ca"));
    if (!current.node().equals(enrollment.node())) {
      throw new IllegalStateException("the identity in " + enrollment.identityDir() + " is for node '"
          + current.node() + "', this node is '" + enrollment.node() + "'");
    }
    return current.sslContext();
  }

  @Override
  public NodeIdentity join(String url, String token, String caFingerprint) {
    try {
      NodeIdentity identity = JoinClient.join(URI.create(url), enrollment.node(), token, caFingerprint);
      identity.save(enrollment.identityDir());
      Files.writeString(enrollment.identityDir().resolve(BRIDGE_URL_FILE), url, StandardCharsets.UTF_8);
      LOG.info("Joined as {} (certificate valid until {})", enrollment.node(), identity.expiresAt());
      return identity;
    } catch (JoinClient.Refused e) {
      throw new IllegalStateException("the bridge refused to let " + enrollment.node() + " join: " + e.getMessage(),
          e);
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the join endpoint " + url + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while joining", e);
    }
  }

  @Override
  public boolean renewIfDue() {
    if (clock.instant().isBefore(nextRenewal)) {
      return false;
    }
    Optional<NodeIdentity> identity;
    try {
      identity = NodeIdentity.load(enrollment.identityDir());
    } catch (RuntimeException e) {
      LOG.warn("Cannot read this node's identity for renewal: {}", e.getMessage());
      nextRenewal = clock.instant().plus(RENEWAL_RETRY);
      return false;
    }
    if (identity.isEmpty()) {
      return false;
    }
    if (clock.instant().isBefore(identity.get().renewAt())) {
      // Not due: the file is not read again until it is (a join writes a later renewAt, never an earlier one).
      nextRenewal = identity.get().renewAt();
      return false;
    }
    Path urlFile = enrollment.identityDir().resolve(BRIDGE_URL_FILE);
    try {
      String url = Files.exists(urlFile) ? Files.readString(urlFile).trim() : enrollment.joinUrl();
      NodeIdentity renewed = JoinClient.renew(URI.create(url), identity.get());
      renewed.save(enrollment.identityDir());
      LOG.info("Renewed the certificate of {} (valid until {})", enrollment.node(), renewed.expiresAt());
      return true;
    } catch (JoinClient.Refused | IOException | RuntimeException e) {
      nextRenewal = clock.instant().plus(RENEWAL_RETRY);
      LOG.warn("Renewing the certificate of {} failed (expires {}; next attempt in {} min): {}", enrollment.node(),
          identity.get().expiresAt(), RENEWAL_RETRY.toMinutes(), e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
