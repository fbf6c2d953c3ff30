package io.outpost.bridge.net;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The interface one of the bridge's servers listens on: the IP address in its own key ({@code OUTPOST_HTTP_BIND},
 * {@code OUTPOST_WEBHOOK_BIND}, {@code OUTPOST_KUBELET_BIND}, {@code OUTPOST_JOIN_BIND}), else the one in
 * {@code OUTPOST_BIND_ADDRESS}, else every interface (IPv4 and IPv6, as before these settings existed: a pod must
 * listen on its pod IP for its Services). Only IP literals are accepted — a host name would make the listening
 * interface depend on DNS at start — and a failed bind names the address, the port and the keys that chose them.
 *
 * @param address null: every interface
 * @param key the setting that chose the address, for messages
 */
public record BindAddress(InetAddress address, String key) {
  public static final String DEFAULT_KEY = "OUTPOST_BIND_ADDRESS";
  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d"
      + "|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("\\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*]?");

  /** {@code key} if set, else {@link #DEFAULT_KEY}, else every interface; an invalid value names its key. */
  public static BindAddress from(Map<String, String> env, String key) {
    String own = env.get(key);
    if (own != null && !own.isBlank()) {
      return new BindAddress(parse(key, own.trim()), key);
    }
    String common = env.get(DEFAULT_KEY);
    if (common != null && !common.isBlank()) {
      return new BindAddress(parse(DEFAULT_KEY, common.trim()), DEFAULT_KEY);
    }
    return new BindAddress(null, key);
  }

  private static InetAddress parse(String key, String value) {
    if (!IPV4.matcher(value).matches() && !IPV6.matcher(value).matches()) {
      throw new IllegalArgumentException(key + " must be an IP address of this host (for example 127.0.0.1, 0.0.0.0"
          + " or ::), was '" + value + "'");
    }
    try {
      return InetAddress.getByName(value.startsWith("[") ? value.substring(1, value.length() - 1) : value);
    } catch (UnknownHostException e) { // a literal is never looked up: only a malformed one ends here
      throw new IllegalArgumentException(key + " is not a valid IP address: '" + value + "'", e);
    }
  }

  /** Where to bind {@code port}. */
  public InetSocketAddress at(int port) {
    return address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port);
  }

  /** {@code address:port}, {@code *:port} for every interface. */
  public String describe(int port) {
    return (address == null ? "*" : address.getHostAddress()) + ":" + port;
  }

  /** A bind failure that names the address, the port and the settings that chose them. */
  public IOException bindFailed(int port, String portKey, IOException cause) {
    BindException failure = new BindException("cannot listen on " + describe(port) + " (" + portKey
        + (address == null ? "" : ", " + key) + "): " + cause.getMessage());
    failure.initCause(cause);
    return failure;
  }
}
