package io.outpost.protocol;

import java.util.regex.Pattern;

/**
 * The Outpost artifact a gateway rollout wants on this node (carried in the node's own {@link NodeV1}, so it is
 * stored with it and survives restarts and disconnects): the signed manifest as the operator's signing tool printed
 * it, and the rollout that assigned it. The node verifies the signature with a key it trusts and the bytes against
 * {@code size} and {@code sha256} before anything is installed; the bridge cannot change what is signed.
 *
 * @param rollout the GatewayRollout that assigned the artifact (for reports and Events)
 * @param type {@code bundle} (an OSGi bundle jar) or {@code feature} (a Karaf features repository)
 * @param name the bundle's symbolic name (or the features repository's name)
 * @param version the version the artifact carries
 * @param size its length in bytes
 * @param sha256 its SHA-256, 64 lower-case hex digits
 * @param keyId the id of the key that signed the manifest
 * @param signature Ed25519 over the manifest's canonical text, base64
 */
public record GatewayTargetV1(String rollout, String type, String name, String version, long size, String sha256,
    String keyId, String signature) {
  /** The largest artifact a rollout delivers. */
  public static final long MAX_SIZE = 64L * 1024 * 1024;
  private static final Pattern ROLLOUT = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z._+-]{0,63}");
  static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern KEY_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{1,1024}={0,2}");

  /** Checks every field; throws with the first one wrong. */
  public void validate() throws ProtocolException {
    check(rollout, ROLLOUT, "gatewayTarget.rollout");
    if (!"bundle".equals(type) && !"feature".equals(type)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "gatewayTarget.type must be bundle or feature,"
          + " was '" + Validation.clip(type) + "'");
    }
    check(name, NAME, "gatewayTarget.name");
    check(version, VERSION, "gatewayTarget.version");
    check(sha256, SHA256, "gatewayTarget.sha256");
    check(keyId, KEY_ID, "gatewayTarget.keyId");
    check(signature, BASE64, "gatewayTarget.signature");
    if (size <= 0 || size > MAX_SIZE) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "gatewayTarget.size must be 1.." + MAX_SIZE
          + ", was " + size);
    }
  }

  private static void check(String value, Pattern pattern, String field) throws ProtocolException {
    Validation.require(value, field);
    if (!pattern.matcher(value).matches()) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " is not well-formed: '"
          + Validation.clip(value) + "'");
    }
  }
}
