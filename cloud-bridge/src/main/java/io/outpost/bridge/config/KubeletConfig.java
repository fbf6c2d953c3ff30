package io.outpost.bridge.config;

import io.outpost.bridge.net.BindAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The kubelet API the bridge serves for every edge node ({@code kubectl logs/exec/port-forward}). Off unless
 * {@code OUTPOST_KUBELET_CLIENT_CA_FILE} is set: the API server's kubelet client certificate must be checked, so
 * the bridge never serves it without knowing who may call.
 *
 * @param port the port the kubelet API listens on (0: any free one)
 * @param address the address the API server reaches the bridge's kubelet API at, published on every edge Node: an IP
 *     address as its {@code InternalIP}, a DNS name (a load balancer's, say) as its {@code InternalDNS}
 * @param clientCaFile the CA that signed the API server's {@code --kubelet-client-certificate}
 * @param allowedUsers common names allowed to call; {@code *}: any certificate the CA signed. The CA is usually the
 *     cluster's, which also signs every kubelet's and CSR-issued certificates: the default admits only kubeadm's API
 *     server client name
 * @param bind the interface the kubelet API listens on
 * @param publishedPort the port published on every edge Node ({@code daemonEndpoints.kubeletEndpoint}): where the
 *     API server connects, which differs from {@code port} behind a Service or load balancer that maps ports; 0: the
 *     port the bridge listens on
 * @param metricsUsers common names that may read resource usage only ({@code /stats/summary},
 *     {@code /metrics/resource}): metrics-server's {@code --kubelet-client-certificate}; none by default
 * @param nodeDomain if set, every edge Node also publishes {@code <node>.<nodeDomain>} (as {@code ExternalDNS}), a
 *     name that must lead to the bridge's kubelet API: the one request metrics-server makes per node names the node
 *     only by the host it connects to, so resource usage is served only to requests for such a host
 * @param statsStaleAfter resource usage of a node from which no report arrived for this long is served as stale
 *     ({@code scrape_error 1}, its own old sample times)
 */
public record KubeletConfig(int port, String address, Path certFile, Path keyFile, Path clientCaFile,
    Set<String> allowedUsers, BindAddress bind, int publishedPort, Set<String> metricsUsers, String nodeDomain,
    java.time.Duration statsStaleAfter) {

  /** Without resource usage for metrics-server (no metrics users, no per-node names), stale after a minute. */
  public KubeletConfig(int port, String address, Path certFile, Path keyFile, Path clientCaFile,
      Set<String> allowedUsers, BindAddress bind, int publishedPort) {
    this(port, address, certFile, keyFile, clientCaFile, allowedUsers, bind, publishedPort, Set.of(), null,
        DEFAULT_STATS_STALE_AFTER);
  }

  /** Figures older than this are stale: four of the edge's default 15 s stats intervals. */
  public static final java.time.Duration DEFAULT_STATS_STALE_AFTER = java.time.Duration.ofSeconds(60);

  /** The common name of kubeadm's {@code --kubelet-client-certificate}. */
  static final String DEFAULT_USER = "kube-apiserver-kubelet-client";
  /** In {@code OUTPOST_KUBELET_ALLOWED_USERS}: any certificate the client CA signed. */
  public static final String ANY_USER = "*";

  public static final KubeletConfig OFF = new KubeletConfig(0, null, null, null, null, Set.of(), null, 0, Set.of(),
      null, java.time.Duration.ofSeconds(60));

  /** An IP address (v4, or v6 with colons) or a DNS name (RFC 1123 labels). */
  private static final java.util.regex.Pattern ADDRESS = java.util.regex.Pattern.compile(
      "[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
      + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  /** True if {@link #address} is an IP address (published as {@code InternalIP}), false for a DNS name. */
  public boolean addressIsIp() {
    return address != null && (address.contains(":") || address.matches("[0-9.]+"));
  }

  public boolean enabled() {
    return clientCaFile != null;
  }

  static KubeletConfig from(Map<String, String> env) {
    String ca = blank(env.get("OUTPOST_KUBELET_CLIENT_CA_FILE"));
    if (ca == null) {
      return OFF;
    }
    String address = blank(env.get("OUTPOST_KUBELET_ADDRESS"));
    String cert = blank(env.get("OUTPOST_KUBELET_CERT_FILE"));
    String key = blank(env.get("OUTPOST_KUBELET_KEY_FILE"));
    if (address == null || cert == null || key == null) {
      throw new IllegalArgumentException("OUTPOST_KUBELET_CLIENT_CA_FILE needs OUTPOST_KUBELET_ADDRESS (where the "
          + "API server reaches the bridge), OUTPOST_KUBELET_CERT_FILE and OUTPOST_KUBELET_KEY_FILE (its serving "
          + "certificate)");
    }
    if (!ADDRESS.matcher(address).matches() || (address.matches("[0-9.]+") && !isIpv4(address))
        || (address.contains(":") && !isIpv6(address))) {
      throw new IllegalArgumentException("OUTPOST_KUBELET_ADDRESS must be an IP address or a DNS name the API server"
          + " reaches the bridge at, was '" + address + "'");
    }
    int port = BridgeConfig.integer(env, "OUTPOST_KUBELET_PORT", 10250, 0, 65535);
    int published = BridgeConfig.integer(env, "OUTPOST_KUBELET_PUBLISHED_PORT", 0, 0, 65535);
    String users = blank(env.get("OUTPOST_KUBELET_ALLOWED_USERS"));
    String metricsUsers = blank(env.get("OUTPOST_KUBELET_METRICS_USERS"));
    String domain = blank(env.get("OUTPOST_KUBELET_NODE_DOMAIN"));
    if (domain != null && (domain.length() > 200 || !ADDRESS.matcher(domain).matches() || domain.contains(":")
        || domain.matches("[0-9.]+"))) {
      throw new IllegalArgumentException("OUTPOST_KUBELET_NODE_DOMAIN must be a DNS name under which <node>.<domain>"
          + " leads to the bridge's kubelet API, was '" + domain + "'");
    }
    int stale = BridgeConfig.integer(env, "OUTPOST_KUBELET_STATS_STALE_SECONDS",
        (int) DEFAULT_STATS_STALE_AFTER.toSeconds(), 5, 86400);
    return new KubeletConfig(port, address, Path.of(cert), Path.of(key), Path.of(ca), names(users == null
        ? DEFAULT_USER : users), BindAddress.from(env, "OUTPOST_KUBELET_BIND"), published,
        metricsUsers == null ? Set.of() : names(metricsUsers), domain == null ? null : domain.toLowerCase(
            java.util.Locale.ROOT), java.time.Duration.ofSeconds(stale));
  }

  private static Set<String> names(String list) {
    return Arrays.stream(list.split(",")).map(String::trim).filter(u -> !u.isEmpty()).collect(Collectors.toSet());
  }

  /**
   * The edge node a request's {@code Host} header names ({@code <node>.<nodeDomain>}, any port), or null if it names
   * none (no node domain configured, or another host).
   */
  public String nodeOfHost(String host) {
    if (nodeDomain == null || host == null) {
      return null;
    }
    String name = host.toLowerCase(java.util.Locale.ROOT);
    int colon = name.lastIndexOf(':');
    if (colon >= 0 && !name.endsWith("]")) {
      name = name.substring(0, colon);
    }
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    String suffix = "." + nodeDomain;
    return name.endsWith(suffix) && name.length() > suffix.length()
        ? name.substring(0, name.length() - suffix.length()) : null;
  }

  private static boolean isIpv6(String address) {
    try {
      return java.net.InetAddress.getByName(address) instanceof java.net.Inet6Address; // a literal: no lookup
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static boolean isIpv4(String address) {
    String[] parts = address.split("\\.", -1);
    return parts.length == 4
        && Arrays.stream(parts).allMatch(p -> p.matches("\\d{1,3}") && Integer.parseInt(p) <= 255);
  }

  private static String blank(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
