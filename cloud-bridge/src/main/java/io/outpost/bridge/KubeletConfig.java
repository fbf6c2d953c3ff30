package io.outpost.bridge;

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
 * @param address the address the API server reaches the bridge's kubelet port at; published as every edge Node's
 *     {@code InternalIP}
 * @param clientCaFile the CA that signed the API server's {@code --kubelet-client-certificate}
 * @param allowedUsers common names allowed to call; {@code *}: any certificate the CA signed. The CA is usually the
 *     cluster's, which also signs every kubelet's and CSR-issued certificates: the default admits only kubeadm's API
 *     server client name
 */
public record KubeletConfig(int port, String address, Path certFile, Path keyFile, Path clientCaFile,
    Set<String> allowedUsers) {

  /** The common name of kubeadm's {@code --kubelet-client-certificate}. */
  static final String DEFAULT_USER = "kube-apiserver-kubelet-client";
  /** In {@code OUTPOST_KUBELET_ALLOWED_USERS}: any certificate the client CA signed. */
  static final String ANY_USER = "*";

  public static final KubeletConfig OFF = new KubeletConfig(0, null, null, null, null, Set.of());

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
    int port;
    try {
      port = Integer.parseInt(env.getOrDefault("OUTPOST_KUBELET_PORT", "10250").trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("OUTPOST_KUBELET_PORT must be a number");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("OUTPOST_KUBELET_PORT must be 0..65535, was " + port);
    }
    String users = blank(env.get("OUTPOST_KUBELET_ALLOWED_USERS"));
    return new KubeletConfig(port, address, Path.of(cert), Path.of(key), Path.of(ca),
        Arrays.stream((users == null ? DEFAULT_USER : users).split(",")).map(String::trim)
            .filter(u -> !u.isEmpty()).collect(Collectors.toSet()));
  }

  private static String blank(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
