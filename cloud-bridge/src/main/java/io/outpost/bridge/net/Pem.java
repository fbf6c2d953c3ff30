package io.outpost.bridge.net;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a PEM certificate chain and PKCS#8 private key (RSA or EC) into a key store, with the JDK only. This is the
 * format of a Kubernetes TLS Secret written by cert-manager with {@code privateKey.encoding: PKCS8}.
 */
public final class Pem {
  private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----");

  private Pem() {}

  public static KeyStore keyStore(Path certificate, Path key, char[] password) throws IOException, GeneralSecurityException {
    Certificate[] chain = CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certificate))).toArray(new Certificate[0]);
    if (chain.length == 0) {
      throw new GeneralSecurityException("no certificate in " + certificate);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("webhook", privateKey(key), password, chain);
    return store;
  }

  static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    Matcher block = BLOCK.matcher(text);
    while (block.find()) {
      String type = block.group(1);
      if ("RSA PRIVATE KEY".equals(type) || "EC PRIVATE KEY".equals(type)) {
        throw new GeneralSecurityException(file + " holds a " + type + " (PKCS#1/SEC1): convert it to PKCS#8 "
            + "(openssl pkcs8 -topk8 -nocrypt, or cert-manager privateKey.encoding: PKCS8)");
      }
      if ("PRIVATE KEY".equals(type)) {
        byte[] der = Base64.getMimeDecoder().decode(block.group(2));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
          try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
          } catch (GeneralSecurityException e) {
            // try the next algorithm
          }
        }
        throw new GeneralSecurityException(file + ": a PKCS#8 key that is neither RSA, EC nor Ed25519");
      }
    }
    throw new GeneralSecurityException("no PRIVATE KEY block in " + file);
  }
}
