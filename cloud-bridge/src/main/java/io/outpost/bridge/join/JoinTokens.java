package io.outpost.bridge.join;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.protocol.Topics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One-time join tokens, one per node name, kept in Kubernetes as Secrets ({@code outpost-join-<id>} in the bridge's
 * namespace, label {@code outpost.io/join-token}) so that every bridge replica sees the same tokens and an operator
 * can list or delete them with kubectl. A token is {@code <id>.<secret>}; only the SHA-256 of the secret part is
 * stored. Redeeming marks the token used with an update that carries the resourceVersion read, so two concurrent
 * redemptions cannot both succeed. A token may name the node's site and region (docs/operations.md, "Sites"): the
 * join records them as the node's, and the node cannot claim another site after it.
 */
public final class JoinTokens {
  public static final String LABEL = "outpost.io/join-token";
  public static final Duration DEFAULT_TTL = Duration.ofHours(1);
  private static final Pattern TOKEN = Pattern.compile("([a-z0-9]{8})\\.([a-z0-9]{32})");
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;

  public JoinTokens(KubernetesClient client, String namespace, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
  }

  /**
   * A token, as created (the only time its secret part is known), or as listed or redeemed (secret null); with the
   * site and region it names (null: none).
   */
  public record Token(String id, String node, Instant expires, String usedAt, String value, String site,
      String region) {}

  /** Why a token was refused; the reason is what the join endpoint answers and counts. */
  public static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    Rejected(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  /** A new token that lets {@code node} join once within {@code ttl}, naming no site. */
  public Token create(String node, Duration ttl) {
    return create(node, ttl, null, null);
  }

  /**
   * A new token that lets {@code node} join once within {@code ttl}, as a node of {@code site} in {@code region}
   * (either null for none; a region only with a site). Both must be label values.
   */
  public Token create(String node, Duration ttl, String site, String region) {
    Topics.requireNodeName(node);
    site = labelValue(site, "site");
    region = labelValue(region, "region");
    if (region != null && site == null) {
      throw new IllegalArgumentException("a region is given with a site only");
    }
    if (io.outpost.identity.CertificateAuthority.RESERVED_NAMES.contains(node)) {
      throw new IllegalArgumentException("'" + node + "' is reserved and cannot be a node's name");
    }
    if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofDays(7)) > 0) {
      throw new IllegalArgumentException("a token's lifetime must be between 1 s and 7 days, was " + ttl);
    }
    String id = random(8);
    String secret = random(32);
    Instant expires = clock.instant().plus(ttl);
    SecretBuilder token = new SecretBuilder().withNewMetadata()
        .withName("outpost-join-" + id).withNamespace(namespace).addToLabels(LABEL, "true")
        .addToLabels("outpost.io/node", node).endMetadata().withType("outpost.io/join-token")
        .addToData("node", b64(node)).addToData("secret-sha256", b64(sha256(secret)))
        .addToData("expires", b64(expires.toString()));
    if (site != null) {
      token.addToData("site", b64(site));
    }
    if (region != null) {
      token.addToData("region", b64(region));
    }
    client.secrets().inNamespace(namespace).resource(token.build()).create();
    return new Token(id, node, expires, null, id + "." + secret, site, region);
  }

  /** Every token, without secrets. */
  public List<Token> list() {
    return client.secrets().inNamespace(namespace).withLabel(LABEL, "true").list().getItems().stream()
        .map(s -> new Token(s.getMetadata().getName().substring("outpost-join-".length()), text(s, "node"),
            Instant.parse(text(s, "expires")), text(s, "used-at"), null, text(s, "site"), text(s, "region")))
        .toList();
  }

  /** Deletes the token {@code id}; false if there was none. */
  public boolean revoke(String id) {
    return !client.secrets().inNamespace(namespace).withName("outpost-join-" + id).delete().isEmpty();
  }

  /**
   * Uses up {@code token} for {@code node} and returns what it names (its site and region), or says why it cannot be
   * used.
   */
  public Token redeem(String token, String node) throws Rejected {
    var matcher = TOKEN.matcher(token == null ? "" : token);
    if (!matcher.matches()) {
      throw new Rejected("malformed_token", "the token is not of the form <8 characters>.<32 characters>");
    }
    Secret stored = client.secrets().inNamespace(namespace).withName("outpost-join-" + matcher.group(1)).get();
    if (stored == null || stored.getMetadata().getLabels() == null
        || !"true".equals(stored.getMetadata().getLabels().get(LABEL))) {
      throw new Rejected("unknown_token", "no such token (never created, revoked, or cleaned up)");
    }
    for (String field : List.of("secret-sha256", "expires", "node")) {
      if (text(stored, field) == null) {
        throw new Rejected("corrupt_token", "the token's Secret has no readable " + field + " (edited by hand?)");
      }
    }
    Instant expires;
    try {
      expires = Instant.parse(text(stored, "expires"));
    } catch (java.time.format.DateTimeParseException e) {
      throw new Rejected("corrupt_token", "the token's Secret has an unreadable expiry: " + e.getMessage());
    }
    byte[] expected = sha256(matcher.group(2)).getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(expected, text(stored, "secret-sha256").getBytes(StandardCharsets.UTF_8))) {
      throw new Rejected("invalid_token", "the token's secret is wrong");
    }
    if (text(stored, "used-at") != null) {
      throw new Rejected("used_token", "the token was already used at " + text(stored, "used-at"));
    }
    if (!clock.instant().isBefore(expires)) {
      throw new Rejected("expired_token", "the token expired at " + text(stored, "expires"));
    }
    if (!node.equals(text(stored, "node"))) {
      throw new Rejected("wrong_node", "the token was issued for node '" + text(stored, "node") + "', not '"
          + node + "'");
    }
    String site = text(stored, "site");
    String region = text(stored, "region");
    if ((site != null && !LABEL_VALUE.matcher(site).matches())
        || (region != null && !LABEL_VALUE.matcher(region).matches())) {
      throw new Rejected("corrupt_token", "the token's Secret names a site or region that is no label value (edited"
          + " by hand?)");
    }
    Map<String, String> data = new java.util.HashMap<>(stored.getData());
    data.put("used-at", b64(clock.instant().toString()));
    stored.setData(data);
    try {
      client.secrets().inNamespace(namespace).resource(stored).lockResourceVersion(
          stored.getMetadata().getResourceVersion()).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        throw new Rejected("used_token", "the token was used concurrently");
      }
      throw e;
    }
    return new Token(matcher.group(1), node, expires, clock.instant().toString(), null, site, region);
  }

  /** A Kubernetes label value: a site and region are shown as the Node's topology labels. */
  private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  /** {@code value} trimmed, null if blank; refused naming {@code what} if it is no label value. */
  private static String labelValue(String value, String what) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String trimmed = value.trim();
    if (!LABEL_VALUE.matcher(trimmed).matches()) {
      throw new IllegalArgumentException(what + " '" + trimmed + "' is not a valid label value (at most 63"
          + " characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit)");
    }
    return trimmed;
  }

  private static String random(int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return out.toString();
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A data field as text; null if it is missing or not base64 (a Secret edited by hand). */
  private static String text(Secret secret, String key) {
    String value = secret.getData() == null ? null : secret.getData().get(key);
    try {
      return value == null ? null : new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
