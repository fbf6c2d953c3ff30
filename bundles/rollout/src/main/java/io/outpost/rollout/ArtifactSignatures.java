package io.outpost.rollout;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ed25519 signatures of {@link ArtifactManifest}s (the JDK's own provider; no third-party crypto on the node) and the
 * keys a node trusts, by id. Keys travel as base64: public keys in X.509 SubjectPublicKeyInfo form, private keys in
 * PKCS#8 form (the operator's, never on a node).
 */
public final class ArtifactSignatures {
  private static final String ALGORITHM = "Ed25519";

  private final Map<String, PublicKey> trusted;

  private ArtifactSignatures(Map<String, PublicKey> trusted) {
    this.trusted = Map.copyOf(trusted);
  }

  /**
   * The keys a node trusts, from its configuration: {@code id=base64,id=base64} (commas or whitespace between
   * entries). Throws with the entry that is wrong; an empty text trusts no key (every manifest is refused).
   */
  public static ArtifactSignatures trusting(String config) {
    Map<String, PublicKey> keys = new LinkedHashMap<>();
    if (config != null) {
      for (String entry : config.trim().split("[,\\s]+")) {
        if (entry.isEmpty()) {
          continue;
        }
        int eq = entry.indexOf('=');
        if (eq <= 0 || entry.substring(eq).matches("=+")) { // no id, or only a key's base64 padding
          throw new IllegalArgumentException("trusted key entry must be id=base64: " + abbreviate(entry));
        }
        String id = entry.substring(0, eq);
        if (!ArtifactManifest.isKeyId(id)) {
          throw new IllegalArgumentException("trusted key id invalid (lower-case letters, digits, dashes): "
              + abbreviate(id));
        }
        if (keys.put(id, publicKey(entry.substring(eq + 1))) != null) {
          throw new IllegalArgumentException("trusted key id " + id + " given twice");
        }
      }
    }
    return new ArtifactSignatures(keys);
  }

  public java.util.Set<String> keyIds() {
    return trusted.keySet();
  }

  /**
   * Verifies {@code manifest}'s signature with the trusted key it names; throws {@link Refused} with the reason
   * (malformed manifest, unknown key, bad signature) otherwise.
   */
  public void verify(ArtifactManifest manifest) throws Refused {
    try {
      manifest.validate();
    } catch (IllegalArgumentException e) {
      throw new Refused("malformed", e.getMessage());
    }
    PublicKey key = trusted.get(manifest.keyId());
    if (key == null) {
      throw new Refused("untrusted_key", "artifact " + manifest.name() + " " + manifest.version()
          + " is signed by key " + manifest.keyId() + ", which this node does not trust (trusted: " + trusted.keySet()
          + ")");
    }
    boolean valid;
    try {
      Signature verifier = Signature.getInstance(ALGORITHM);
      verifier.initVerify(key);
      verifier.update(manifest.signedBytes());
      valid = verifier.verify(Base64.getDecoder().decode(manifest.signature()));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      valid = false;
    }
    if (!valid) {
      throw new Refused("bad_signature", "artifact " + manifest.name() + " " + manifest.version()
          + ": the signature does not verify with key " + manifest.keyId() + " (tampered, or signed by another key)");
    }
  }

  /** Signs {@code manifest} with {@code privateKey} (base64 PKCS#8 Ed25519). For the operator's signing tool. */
  public static ArtifactManifest sign(ArtifactManifest manifest, String privateKey) {
    try {
      PrivateKey key = KeyFactory.getInstance(ALGORITHM).generatePrivate(
          new PKCS8EncodedKeySpec(Base64.getDecoder().decode(privateKey.trim())));
      Signature signer = Signature.getInstance(ALGORITHM);
      signer.initSign(key);
      signer.update(manifest.signedBytes());
      return manifest.withSignature(Base64.getEncoder().encodeToString(signer.sign()));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot sign with that key (base64 PKCS#8 Ed25519 expected): "
          + e.getMessage(), e);
    }
  }

  /** A new Ed25519 key pair: {@code [public (X.509, base64), private (PKCS#8, base64)]}. */
  public static String[] newKeyPair() {
    try {
      KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
      return new String[] {Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()),
          Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded())};
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no Ed25519", e);
    }
  }

  private static PublicKey publicKey(String base64) {
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(Base64.getDecoder()
          .decode(base64)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("trusted key is not a base64 X.509 Ed25519 public key: "
          + abbreviate(base64), e);
    }
  }

  private static String abbreviate(String text) {
    return text.length() > 40 ? text.substring(0, 40) + "…" : text;
  }

  /** Why a manifest was refused: a short {@code reason} for metrics and a message for the log and status. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    public Refused(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }
}
