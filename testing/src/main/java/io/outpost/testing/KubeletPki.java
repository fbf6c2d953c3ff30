package io.outpost.testing;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates of a cluster's kubelet traffic, as a test needs them: a CA standing for the cluster's, the API
 * server's kubelet client certificate it signed, a certificate of a stranger from another CA, and the bridge's
 * serving certificate (for 127.0.0.1). Written as PEM files (keys in PKCS#8).
 */
public final class KubeletPki {
  public record Identity(X509Certificate certificate, PrivateKey key, Path certFile, Path keyFile) {}

  public final Path dir;
  public final Identity ca;
  public final Identity apiServer;
  public final Identity stranger;
  /** A kubelet's certificate from the same CA (as the cluster CA signs them): not the API server. */
  public final Identity kubelet;
  public final Identity serving;

  public KubeletPki(Path dir) throws Exception {
    this.dir = Files.createDirectories(dir);
    ca = issue("ca", "test-cluster-ca", null, true, false);
    apiServer = issue("apiserver", "kube-apiserver-kubelet-client", ca, false, false);
    Identity otherCa = issue("other-ca", "other-ca", null, true, false);
    stranger = issue("stranger", "kube-apiserver-kubelet-client", otherCa, false, false);
    serving = issue("serving", "outpost-bridge-kubelet", ca, false, true);
    kubelet = issue("kubelet", "system:node:worker-1", ca, false, false);
  }

  /** A further client certificate from the cluster CA (metrics-server's, say), named {@code commonName}. */
  public Identity client(String file, String commonName) throws Exception {
    return issue(file, commonName, ca, false, false);
  }

  /** The bridge's settings for serving the kubelet API on an ephemeral loopback port with these certificates. */
  public java.util.Map<String, String> bridgeEnvironment() {
    return java.util.Map.of("OUTPOST_KUBELET_PORT", "0", "OUTPOST_KUBELET_ADDRESS", "127.0.0.1",
        "OUTPOST_KUBELET_CLIENT_CA_FILE", ca.certFile().toString(),
        "OUTPOST_KUBELET_CERT_FILE", serving.certFile().toString(),
        "OUTPOST_KUBELET_KEY_FILE", serving.keyFile().toString());
  }

  private Identity issue(String file, String commonName, Identity issuer, boolean isCa, boolean server)
      throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    KeyPair keys = generator.generateKeyPair();
    X500Name subject = new X500Name("CN=" + commonName);
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
        issuer == null ? subject : new X500Name(issuer.certificate().getSubjectX500Principal().getName()),
        BigInteger.valueOf(now.toEpochMilli()).shiftLeft(8).add(BigInteger.valueOf(file.hashCode() & 0xff)),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))), subject,
        keys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (server) {
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
    }
    PrivateKey signingKey = issuer == null ? keys.getPrivate() : issuer.key();
    X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(
        new JcaContentSignerBuilder("SHA256withECDSA").build(signingKey)));
    Path certFile = dir.resolve(file + ".crt");
    Path keyFile = dir.resolve(file + ".key");
    Files.writeString(certFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
    Files.writeString(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    return new Identity(certificate, keys.getPrivate(), certFile, keyFile);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }
}
