package io.outpost.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * A node's identity: its private key (made on the node, never sent anywhere), its certificate and the CA that signed
 * it, kept in one file ({@code node.pem}, mode 0600) that is replaced atomically, so a crash leaves the old identity
 * or the new one, never a key that does not match its certificate.
 */
public record NodeIdentity(String node, PrivateKey key, X509Certificate certificate, X509Certificate ca) {
  public static final String FILE = "node.pem";

  /** The identity stored in {@code dir}, if any. */
  public static Optional<NodeIdentity> load(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      String pem = Files.readString(file);
      List<X509Certificate> certificates = Pki.certificates(pem.substring(pem.indexOf("-----BEGIN CERTIFICATE")));
      if (certificates.size() != 2) {
        throw new IllegalArgumentException(file + " must hold a key, the node certificate and the CA certificate");
      }
      X509Certificate certificate = certificates.get(0);
      return Optional.of(new NodeIdentity(Pki.commonName(certificate), Pki.privateKey(pem), certificate,
          certificates.get(1)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Writes this identity to {@code dir} (0600, atomically). */
  public void save(Path dir) {
    try {
      Files.createDirectories(dir);
      CertificateAuthority.writeSecret(dir.resolve(FILE), Pki.pem(key) + Pki.pem(certificate) + Pki.pem(ca));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the identity to " + dir, e);
    }
  }

  /** TLS presenting this node's certificate and trusting only servers signed by its CA. */
  public SSLContext sslContext() {
    return Tls.context(key, List.of(certificate, ca), ca);
  }

  public Instant expiresAt() {
    return certificate.getNotAfter().toInstant();
  }

  /** When to renew: two thirds into the certificate's lifetime (as kubelet client rotation does, roughly). */
  public Instant renewAt() {
    Instant from = certificate.getNotBefore().toInstant();
    Duration lifetime = Duration.between(from, expiresAt());
    return from.plus(lifetime.multipliedBy(2).dividedBy(3));
  }

  /**
   * Checks that {@code certificate} (as the bridge returned it) is for {@code node}, carries {@code key}'s public
   * half and is signed by {@code ca}; throws {@link IllegalArgumentException} with the reason otherwise.
   */
  public static NodeIdentity verified(String node, PrivateKey key, java.security.PublicKey publicKey,
      X509Certificate certificate, X509Certificate ca) {
    if (!node.equals(Pki.commonName(certificate))) {
      throw new IllegalArgumentException("the bridge returned a certificate for '" + Pki.commonName(certificate)
          + "', not for '" + node + "'");
    }
    if (!certificate.getPublicKey().equals(publicKey)) {
      throw new IllegalArgumentException("the bridge returned a certificate for another key");
    }
    try {
      certificate.verify(ca.getPublicKey());
      certificate.checkValidity();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("the returned certificate does not verify against the CA: "
          + e.getMessage(), e);
    }
    return new NodeIdentity(node, key, certificate, ca);
  }

  @Override
  public String toString() {
    return "NodeIdentity[node=" + node + ", serial=" + certificate.getSerialNumber().toString(16) + ", expires="
        + expiresAt() + "]";
  }
}
