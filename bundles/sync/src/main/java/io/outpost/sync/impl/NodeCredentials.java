package io.outpost.sync.impl;

import io.outpost.identity.JoinClient;
import io.outpost.identity.NodeIdentity;
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
 * This node's credentials for an {@code ssl://} broker: the identity in {@code identity.dir}, obtained by {@code
 * outpost:join} or, unattended, from {@code join.url}/{@code join.token}/{@code join.ca} at the first connect; read
 * again at every connect (so a join or a renewal takes effect on the next one) and renewed at two thirds of the
 * certificate's lifetime through the join endpoint it came from ({@code bridge.url} beside it).
 */
final class NodeCredentials {
  private static final Logger LOG = LoggerFactory.getLogger(NodeCredentials.class);
  static final String BRIDGE_URL_FILE = "bridge.url";

  /** After a failed renewal, the next attempt waits this long (the certificate still has a third of its life). */
  static final java.time.Duration RENEWAL_RETRY = java.time.Duration.ofMinutes(5);

  private final Settings settings;
  private final Clock clock;
  /** Before this instant the identity is not even read: its renewal is not due, or the last attempt failed. */
  private volatile java.time.Instant nextRenewal = java.time.Instant.MIN;

  NodeCredentials(Settings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
  }

  /** TLS for the next connect, or empty for plain TCP. Throws with the operator's next step if there is none. */
  Optional<SSLContext> tls() {
    if (!settings.tls()) {
      return Optional.empty();
    }
    Optional<NodeIdentity> identity = NodeIdentity.load(settings.identityDir());
    if (identity.isEmpty() && !settings.joinToken().isEmpty()) {
      identity = Optional.of(join(settings.joinUrl(), settings.joinToken(), settings.joinCa()));
    }
    NodeIdentity current = identity.orElseThrow(() -> new IllegalStateException("node " + settings.node()
        + " has no identity yet: run 'outpost:join <bridge-url> <token> <ca-fingerprint>' in the console, or set"
        + " join.url, join.token and join.ca"));
    if (!current.node().equals(settings.node())) {
      throw new IllegalStateException("the identity in " + settings.identityDir() + " is for node '"
          + current.node() + "', this node is '" + settings.node() + "'");
    }
    return Optional.of(current.sslContext());
  }

  /** Joins and stores the identity; used by the console command and unattended installs. */
  NodeIdentity join(String url, String token, String caFingerprint) {
    try {
      NodeIdentity identity = JoinClient.join(URI.create(url), settings.node(), token, caFingerprint);
      identity.save(settings.identityDir());
      Files.writeString(settings.identityDir().resolve(BRIDGE_URL_FILE), url, StandardCharsets.UTF_8);
      LOG.info("Joined as {} (certificate valid until {})", settings.node(), identity.expiresAt());
      return identity;
    } catch (JoinClient.Refused e) {
      throw new IllegalStateException("the bridge refused to let " + settings.node() + " join: " + e.getMessage(),
          e);
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach the join endpoint " + url + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while joining", e);
    }
  }

  /** Renews the certificate if two thirds of its lifetime have passed; true if it did (reconnect to use it). */
  boolean renewIfDue() {
    if (!settings.tls()) {
      return false;
    }
    if (clock.instant().isBefore(nextRenewal)) {
      return false;
    }
    Optional<NodeIdentity> identity;
    try {
      identity = NodeIdentity.load(settings.identityDir());
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
    Path urlFile = settings.identityDir().resolve(BRIDGE_URL_FILE);
    try {
      String url = Files.exists(urlFile) ? Files.readString(urlFile).trim() : settings.joinUrl();
      NodeIdentity renewed = JoinClient.renew(URI.create(url), identity.get());
      renewed.save(settings.identityDir());
      LOG.info("Renewed the certificate of {} (valid until {})", settings.node(), renewed.expiresAt());
      return true;
    } catch (JoinClient.Refused | IOException | RuntimeException e) {
      nextRenewal = clock.instant().plus(RENEWAL_RETRY);
      LOG.warn("Renewing the certificate of {} failed (expires {}; next attempt in {} min): {}", settings.node(),
          identity.get().expiresAt(), RENEWAL_RETRY.toMinutes(), e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
