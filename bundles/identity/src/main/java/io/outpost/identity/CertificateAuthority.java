package io.outpost.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The bridge's certificate authority: one EC P-256 key and a self-signed CA certificate in a directory ({@code
 * ca.key}, mode 0600, and {@code ca.crt}), created on first use. It signs node client certificates for exactly the
 * name a join token or a current certificate allows, server certificates for the broker and the join endpoint, and
 * CRLs of revoked serials for brokers that read them (Mosquitto's {@code crlfile}).
 */
public final class CertificateAuthority {
  public static final String KEY_FILE = "ca.key";
  /**
   * Names no node may have: the bridge's own client identity (which brokers give the whole topic tree) and the
   * names of the CA's other certificates.
   */
  public static final java.util.Set<String> RESERVED_NAMES = java.util.Set.of("outpost-bridge", "outpost-broker",
      "outpost-ca", "outpost-bridge-join");
  public static final String CERT_FILE = "ca.crt";
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** Clock skew between the bridge and a node the certificates tolerate. */
  private static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final PrivateKey key;
  private final X509Certificate certificate;

  private CertificateAuthority(PrivateKey key, X509Certificate certificate) {
    this.key = key;
    this.certificate = certificate;
  }

  /** The CA in {@code dir}, created there (key mode 0600) if the directory holds none. */
  public static CertificateAuthority loadOrCreate(Path dir) {
    Path keyFile = dir.resolve(KEY_FILE);
    Path certFile = dir.resolve(CERT_FILE);
    try {
      if (Files.exists(keyFile) != Files.exists(certFile)) {
        throw new IllegalStateException(dir + " holds only one of " + KEY_FILE + " and " + CERT_FILE
            + ": restore the missing one (a new CA would lock out every node)");
      }
      if (Files.exists(keyFile) && Files.exists(certFile)) {
        return new CertificateAuthority(Pki.privateKey(Files.readString(keyFile)),
            Pki.certificates(Files.readString(certFile)).get(0));
      }
      Files.createDirectories(dir);
      KeyPair keys = Pki.newKeyPair();
      Instant now = Instant.now();
      X500Name name = Pki.subject("outpost-ca");
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)), name, keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
      X509Certificate certificate = convert(builder.build(signer(keys.getPrivate())));
      writeSecret(keyFile, Pki.pem(keys.getPrivate()));
      writeAtomically(certFile, Pki.pem(certificate));
      return new CertificateAuthority(keys.getPrivate(), certificate);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the CA in " + dir, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the CA", e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** {@code sha256:<hex>} of the CA certificate: what nodes pin when they join. */
  public String fingerprint() {
    return Pki.fingerprint(certificate);
  }

  /**
   * A client certificate for {@code node} from its request. Refused ({@link IllegalArgumentException} with the
   * reason) unless the request's signature is valid, its subject's common name is exactly {@code node} and its key
   * is EC P-256/P-384 or RSA of at least 2048 bits.
   */
  public X509Certificate signNode(PKCS10CertificationRequest request, String node, Duration validity) {
    return issue(Pki.subject(node), check(request, node), validity, KeyPurposeId.id_kp_clientAuth, null);
  }

  /**
   * Checks a node's request without signing it: valid signature, CN exactly {@code node}, not a reserved name, a
   * strong key. Returns its public key; throws {@link IllegalArgumentException} with the reason.
   */
  public PublicKey check(PKCS10CertificationRequest request, String node) {
    if (RESERVED_NAMES.contains(node)) {
      throw new IllegalArgumentException("'" + node + "' is reserved and cannot be a node's name");
    }
    PublicKey publicKey = Pki.publicKey(request);
    try {
      if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey))) {
        throw new IllegalArgumentException("the certificate request's signature is invalid");
      }
    } catch (OperatorCreationException | PKCSException e) {
      throw new IllegalArgumentException("the certificate request cannot be verified: " + e.getMessage(), e);
    }
    String cn = Pki.commonName(request.getSubject());
    if (!node.equals(cn)) {
      throw new IllegalArgumentException("the certificate request is for '" + cn + "', not for node '" + node + "'");
    }
    requireStrongKey(publicKey);
    return publicKey;
  }

  /** A server certificate for {@code names} (DNS names or IP addresses), e.g. for the broker's TLS listener. */
  public X509Certificate issueServer(String commonName, PublicKey publicKey, List<String> names, Duration validity) {
    GeneralName[] alternatives = names.stream().map(n -> isIpAddress(n)
        ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n))
        .toArray(GeneralName[]::new);
    return issue(Pki.subject(commonName), publicKey, validity, KeyPurposeId.id_kp_serverAuth,
        new GeneralNames(alternatives));
  }

  /** A client certificate for a component that is not a node (the bridge itself: {@code outpost-bridge}). */
  public X509Certificate issueClient(String commonName, PublicKey publicKey, Duration validity) {
    requireStrongKey(publicKey);
    return issue(Pki.subject(commonName), publicKey, validity, KeyPurposeId.id_kp_clientAuth, null);
  }

  /** A CRL listing {@code revoked} serials (with their revocation times), valid for {@code validity}. */
  public X509CRL crl(Map<BigInteger, Instant> revoked, Duration validity) {
    Instant now = Instant.now();
    try {
      X509v2CRLBuilder builder = new X509v2CRLBuilder(
          X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), Date.from(now));
      builder.setNextUpdate(Date.from(now.plus(validity)));
      revoked.forEach((serial, at) -> builder.addCRLEntry(serial, Date.from(at), CRLReason.keyCompromise));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate));
      return new JcaX509CRLConverter().getCRL(builder.build(signer(key)));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot sign the CRL", e);
    }
  }

  private X509Certificate issue(X500Name subject, PublicKey publicKey, Duration validity, KeyPurposeId purpose,
      GeneralNames alternatives) {
    Instant now = Instant.now();
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), subject, publicKey)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature
              | KeyUsage.keyEncipherment))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
          .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey))
          .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(certificate));
      if (alternatives != null) {
        builder.addExtension(Extension.subjectAlternativeName, false, alternatives);
      }
      return convert(builder.build(signer(key)));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot issue a certificate", e);
    }
  }

  private static void requireStrongKey(PublicKey key) {
    if (key instanceof ECPublicKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      if (bits < 256) {
        throw new IllegalArgumentException("EC keys must have at least 256 bits, this one has " + bits);
      }
    } else if (key instanceof RSAPublicKey rsa) {
      if (rsa.getModulus().bitLength() < 2048) {
        throw new IllegalArgumentException("RSA keys must have at least 2048 bits");
      }
    } else {
      throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
    }
  }

  private static boolean isIpAddress(String name) {
    return name.matches("[0-9.]+") || name.contains(":");
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder(Pki.SIGNATURE).build(key);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate convert(X509CertificateHolder holder) throws GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  /** Writes {@code text} to {@code file} readable by the owner only (0600), atomically. */
  public static void writeSecret(Path file, String text) throws IOException {
    write(file, text, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
  }

  /** Writes {@code text} to {@code file} atomically (a crash leaves the old or the new content). */
  public static void writeAtomically(Path file, String text) throws IOException {
    write(file, text, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
  }

  /** Through a temporary file of its own (unique name, created with its final mode), then an atomic rename. */
  private static void write(Path file, String text,
      java.nio.file.attribute.FileAttribute<java.util.Set<java.nio.file.attribute.PosixFilePermission>> mode)
      throws IOException {
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName() + ".", ".tmp", mode);
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      move(tmp, file);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try (var channel = java.nio.channels.FileChannel.open(from, java.nio.file.StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

}
