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
 */
public record KubeletConfig(int port, String address, Path certFile, Path keyFile, Path clientCaFile,
    Set<String> allowedUsers, BindAddress bind, int publishedPort) {

  /** The common name of kubeadm's {@code --kubelet-client-certificate}. */
  static final String DEFAULT_USER = "kube-apiserver-kubelet-client";
  /** In {@code OUTPOST_KUBELET_ALLOWED_USERS}: any certificate the client CA signed. */
  public static final String ANY_USER = "*";

  public static final KubeletConfig OFF = new KubeletConfig(0, null, null, null, null, Set.of(), null, 0);

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
    return new KubeletConfig(port, address, Path.of(cert), Path.of(key), Path.of(ca),
        Arrays.stream((users == null ? DEFAULT_USER : users).split(",")).map(String::trim)
            .filter(u -> !u.isEmpty()).collect(Collectors.toSet()), BindAddress.from(env, "OUTPOST_KUBELET_BIND"),
        published);
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
