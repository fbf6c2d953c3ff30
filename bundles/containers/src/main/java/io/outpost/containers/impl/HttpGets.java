package io.outpost.containers.impl;

import io.outpost.protocol.ProbeV1;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The HTTP GET of an httpGet probe or lifecycle hook, as the kubelet sends it ({@code pkg/probe/http/request.go
 * newProbeRequest}): to {@code host} (the pod IP when not set) on the port and path asked for, with the
 * {@code httpHeaders} asked for, {@code User-Agent: kube-probe/<version>} (or {@code kube-lifecycle/…}) and
 * {@code Accept: *}{@code /*} unless those headers are given (an empty {@code Accept} removes it), and a {@code Host}
 * header among them sent as the request's host. HTTPS certificates are not verified, as the kubelet does not verify
 * them. HTTP/1.1 written by hand over a socket: the JDK's HTTP client refuses to send a {@code Host} header of the
 * caller's choosing. Only the status line is read; the body is never read.
 */
final class HttpGets {
  /** The Kubernetes minor version the User-Agent claims, as a 1.32 kubelet's. */
  static final String KUBE_VERSION = "1.32";
  private static final int MAX_STATUS_LINE = 8192;

  private HttpGets() {}

  /**
   * Sends the GET and returns the response's status code; throws on connection, TLS or protocol errors and when
   * {@code timeout} passes. {@code agent} is {@code probe} or {@code lifecycle}.
   */
  static int get(ProbeV1.HttpGetV1 get, String podIP, String agent, Duration timeout) throws IOException {
    String host = get.host() == null || get.host().isEmpty() ? podIP : get.host();
    if (host == null) {
      throw new IOException("the pod has no IP");
    }
    String request = request(get, host, agent); // refused before connecting if it is not one clean request
    boolean https = "HTTPS".equalsIgnoreCase(get.scheme());
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    try (Socket socket = https ? tls() : new Socket()) {
      socket.connect(new InetSocketAddress(host, get.port()), millis);
      socket.setSoTimeout(millis);
      if (socket instanceof SSLSocket ssl) {
        ssl.startHandshake();
      }
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return status(socket.getInputStream());
    }
  }

  /** The URL a request goes to, as the kubelet's messages name it. */
  static String url(ProbeV1.HttpGetV1 get, String podIP) {
    String host = get.host() == null || get.host().isEmpty() ? podIP : get.host();
    return ("HTTPS".equalsIgnoreCase(get.scheme()) ? "https" : "http") + "://" + authority(host, get.port())
        + path(get);
  }

  /**
   * The request's text; throws if the path, the host or a header would break out of its line or field (control
   * characters, a space in the path, a header name that is not a token): a hook's fields come from the pod.
   */
  static String request(ProbeV1.HttpGetV1 get, String host, String agent) throws IOException {
    clean("path", path(get), true);
    clean("host", host, true);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (ProbeV1.HttpHeaderV1 header : get.headers()) {
      if (header == null || header.name() == null || header.name().isEmpty()
          || header.name().chars().anyMatch(c -> c <= ' ' || c >= 0x7f || c == ':')) {
        throw new IOException("invalid HTTP header name \"" + (header == null ? null : header.name()) + "\"");
      }
      clean("value of header " + header.name(), header.value() == null ? "" : header.value(), false);
      String name = canonical(header.name());
      String value = header.value() == null ? "" : header.value();
      headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value); // Go's Header.Add
    }
    String hostHeader = first(headers.remove("Host")); // the request's host, never a header of its own
    String userAgent = first(headers.get("User-Agent"));
    List<String> accept = headers.remove("Accept");
    StringBuilder request = new StringBuilder("GET ").append(path(get)).append(" HTTP/1.1\r\n");
    request.append("Host: ").append(hostHeader != null && !hostHeader.isEmpty() ? hostHeader
        : authority(host, get.port())).append("\r\n");
    if (userAgent == null) {
      request.append("User-Agent: kube-").append(agent).append('/').append(KUBE_VERSION).append("\r\n");
    }
    if (accept == null) {
      request.append("Accept: */*\r\n");
    } else if (!first(accept).isEmpty()) { // an empty Accept removes it (newProbeRequest)
      accept.forEach(value -> request.append("Accept: ").append(value).append("\r\n"));
    }
    headers.forEach((name, values) -> values.forEach(value ->
        request.append(name).append(": ").append(value).append("\r\n")));
    request.append("Connection: close\r\n\r\n");
    return request.toString();
  }

  private static String first(List<String> values) {
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private static void clean(String what, String text, boolean noSpace) throws IOException {
    if (text.chars().anyMatch(c -> c < ' ' && c != '\t' || c == 0x7f || c > 0xff || noSpace && c == ' ')) {
      throw new IOException("invalid character in the " + what);
    }
  }

  private static String path(ProbeV1.HttpGetV1 get) {
    String path = get.path() == null || get.path().isEmpty() ? "/" : get.path();
    return path.startsWith("/") ? path : "/" + path;
  }

  private static String authority(String host, int port) {
    return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
  }

  /** Go's {@code textproto.CanonicalMIMEHeaderKey}: {@code x-custom-header} → {@code X-Custom-Header}. */
  static String canonical(String name) {
    StringBuilder out = new StringBuilder(name.length());
    boolean upper = true;
    for (char c : name.toCharArray()) {
      out.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
      upper = c == '-';
    }
    return out.toString();
  }

  private static int status(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (line.size() >= MAX_STATUS_LINE) {
        throw new IOException("malformed HTTP response: status line too long");
      }
      line.write(b);
    }
    String text = line.toString(StandardCharsets.ISO_8859_1).trim();
    String[] parts = text.split(" ", 3);
    if (parts.length < 2 || !parts[0].toUpperCase(Locale.ROOT).startsWith("HTTP/")) {
      throw new IOException("malformed HTTP response \"" + (text.length() > 64 ? text.substring(0, 64) : text)
          + "\"");
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("malformed HTTP status code \"" + parts[1] + "\"", e);
    }
  }

  private static Socket tls() throws IOException {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new TrustingManager()}, new SecureRandom());
      return context.getSocketFactory().createSocket();
    } catch (GeneralSecurityException e) {
      throw new IOException("TLS unavailable: " + e.getMessage(), e);
    }
  }

  /** The kubelet's probes and hooks use {@code InsecureSkipVerify}: the pod's certificate is not checked. */
  private static final class TrustingManager implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      // a client certificate is never asked for
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // not verified, as the kubelet does not verify a probed pod's certificate
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
