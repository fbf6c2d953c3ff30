package io.outpost.identity;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * Key pairs, certificate signing requests, PEM and fingerprints, through Bouncy Castle's PKIX API on the JDK's
 * providers (no provider is registered). Keys are EC P-256, signatures SHA256withECDSA.
 */
public final class Pki {
  public static final String SIGNATURE = "SHA256withECDSA";

  private Pki() {}

  /** A new EC P-256 key pair, made where it is used: a node's private key never leaves the node. */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JDK", e);
    }
  }

  /** {@code CN=<commonName>, O=outpost}. */
  public static X500Name subject(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "outpost").addRDN(BCStyle.CN, commonName)
        .build();
  }

  /** A PKCS#10 request for {@code CN=<node>}, signed with the node's key. */
  public static PKCS10CertificationRequest csr(KeyPair keys, String commonName) {
    try {
      return new JcaPKCS10CertificationRequestBuilder(subject(commonName), keys.getPublic())
          .build(new JcaContentSignerBuilder(SIGNATURE).build(keys.getPrivate()));
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a CSR", e);
    }
  }

  /** The common name of a subject, or null. */
  public static String commonName(X500Name name) {
    var rdns = name.getRDNs(BCStyle.CN);
    return rdns.length == 1 ? rdns[0].getFirst().getValue().toString() : null;
  }

  /** The common name of a certificate's subject, or null. */
  public static String commonName(X509Certificate certificate) {
    return commonName(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()));
  }

  /** PEM of a certificate, a CSR or a CRL; a private key becomes PKCS#8 ({@code PRIVATE KEY}). */
  public static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      if (object instanceof PrivateKey key) {
        writer.writeObject(new JcaPKCS8Generator(key, null));
      } else {
        writer.writeObject(object);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** The public key of a CSR, as a JCA key. */
  public static java.security.PublicKey publicKey(PKCS10CertificationRequest request) {
    try {
      return new JcaPEMKeyConverter().getPublicKey(request.getSubjectPublicKeyInfo());
    } catch (IOException e) {
      throw new IllegalArgumentException("the certificate request's key cannot be read: " + e.getMessage(), e);
    }
  }

  /** The certificates in a PEM text, in order; throws {@link IllegalArgumentException} on anything else. */
  public static List<X509Certificate> certificates(String pem) {
    List<X509Certificate> result = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (!(object instanceof X509CertificateHolder holder)) {
          throw new IllegalArgumentException("expected certificates, found " + object.getClass().getSimpleName());
        }
        result.add(new JcaX509CertificateConverter().getCertificate(holder));
      }
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
    }
    if (result.isEmpty()) {
      throw new IllegalArgumentException("no certificate in the PEM text");
    }
    return result;
  }

  /** The private key in a PEM text (PKCS#8 or a key pair). */
  public static PrivateKey privateKey(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (object instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new IllegalArgumentException("not a private key: " + (object == null ? "empty" : object.getClass()
          .getSimpleName()));
    } catch (IOException e) {
      throw new IllegalArgumentException("not a PEM private key: " + e.getMessage(), e);
    }
  }

  /** A PKCS#10 request in PEM; throws {@link IllegalArgumentException} on anything else. */
  public static PKCS10CertificationRequest csr(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object object = parser.readObject();
      if (object instanceof PKCS10CertificationRequest request) {
        return request;
      }
      throw new IllegalArgumentException("not a certificate request");
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a PEM certificate request: " + e.getMessage(), e);
    }
  }

  /** {@code sha256:<hex>} of a certificate's DER encoding: how an operator pins the bridge's CA. */
  public static String fingerprint(X509Certificate certificate) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
