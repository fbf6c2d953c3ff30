package io.outpost.bridge.admission;

import io.outpost.testing.ManagedProcess;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The webhook tests' TLS: a self-signed certificate for 127.0.0.1 and an HTTP client that trusts only it. */
final class WebhookTls {
  final Path cert;
  final Path key;

  private WebhookTls(Path cert, Path key) {
    this.cert = cert;
    this.key = key;
  }

  /** Makes {@code tls.crt} and {@code tls.key} in {@code dir} with openssl. */
  static WebhookTls selfSigned(Path dir) {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    ManagedProcess.run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-subj", "/CN=outpost-bridge-webhook", "-addext", "subjectAltName=IP:127.0.0.1",
        "-keyout", key.toString(), "-out", cert.toString()), Map.of());
    return new WebhookTls(cert, key);
  }

  /** An HTTP client that trusts this certificate and nothing else. */
  HttpClient client() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(cert)) {
      trust.setCertificateEntry("webhook", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(context).build();
  }
}
