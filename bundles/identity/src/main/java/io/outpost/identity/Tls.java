package io.outpost.identity;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** TLS contexts from PEM material, on the JDK's own TLS implementation (TLS 1.3/1.2 only). */
public final class Tls {
  private static final char[] NO_PASSWORD = new char[0];

  private Tls() {}

  /**
   * A context that presents {@code chain} (leaf first) with {@code key} and trusts peers whose certificates chain to
   * {@code ca}: an edge node's MQTT connection, the broker's listener, the bridge's join endpoint.
   */
  public static SSLContext context(PrivateKey key, List<X509Certificate> chain, X509Certificate ca) {
    return context(keyManagers(key, chain), new TrustManager[] {trusting(ca)});
  }

  /** A context with no identity of its own that trusts only peers chaining to {@code ca}. */
  public static SSLContext trustingOnly(X509Certificate ca) {
    return context(null, new TrustManager[] {trusting(ca)});
  }

  /**
   * A context for a node that has no certificate yet: it trusts a server only if the chain the server presents
   * contains a CA certificate with the pinned {@code sha256:…} fingerprint and the server's certificate is valid
   * under it. This is how {@code outpost:join} trusts the bridge on first contact (as kubeadm's CA hash does).
   */
  public static SSLContext pinned(String caFingerprint, PrivateKey key, List<X509Certificate> chain) {
    X509TrustManager pinned = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] peer, String authType) throws CertificateException {
        throw new CertificateException("a pinned context authenticates servers only");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] peer, String authType) throws CertificateException {
        X509Certificate anchor = null;
        for (X509Certificate certificate : peer) {
          if (Pki.fingerprint(certificate).equalsIgnoreCase(caFingerprint)) {
            anchor = certificate;
          }
        }
        if (anchor == null) {
          throw new CertificateException("the server's certificate chain does not contain the CA " + caFingerprint
              + " (wrong bridge address or CA hash?)");
        }
        trusting(anchor).checkServerTrusted(peer, authType);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    return context(key == null ? null : keyManagers(key, chain), new TrustManager[] {pinned});
  }

  static X509TrustManager trusting(X509Certificate ca) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("ca", ca);
      TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
      factory.init(store);
      for (TrustManager manager : factory.getTrustManagers()) {
        if (manager instanceof X509TrustManager x509) {
          return x509;
        }
      }
      throw new IllegalStateException("no X.509 trust manager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a trust manager", e);
    }
  }

  private static KeyManager[] keyManagers(PrivateKey key, List<X509Certificate> chain) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("identity", key, NO_PASSWORD, chain.toArray(X509Certificate[]::new));
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, NO_PASSWORD);
      return factory.getKeyManagers();
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a key manager", e);
    }
  }

  private static SSLContext context(KeyManager[] keys, TrustManager[] trust) {
    try {
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(keys, trust, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a TLS context", e);
    }
  }
}
