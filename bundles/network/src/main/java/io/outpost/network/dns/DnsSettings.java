package io.outpost.network.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Address;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * The DNS server's configuration, validated once ({@link #from}): every failure names its key.
 *
 * @param listen the explicit listen address, or null: the pod gateway on {@code gatewayPort}
 * @param upstreams explicit upstream resolvers, or empty: the nameservers of {@code resolvConf}
 */
record DnsSettings(Name domain, InetSocketAddress listen, int gatewayPort, List<InetSocketAddress> upstreams,
    Path resolvConf, long ttl, int cacheSize, int negativeCacheSize, Duration upstreamTimeout,
    Duration tcpIdleTimeout, int tcpMaxConnections) {

  static final String DEFAULT_DOMAIN = "cluster.local";

  static DnsSettings from(DnsConfig config) {
    Name domain = domain(config.cluster_domain());
    InetSocketAddress listen = config.listen_address() == null || config.listen_address().isBlank() ? null
        : socketAddress(config.listen_address().trim(), 53, "listen.address");
    List<InetSocketAddress> upstreams = new ArrayList<>();
    if (config.upstreams() != null) {
      for (String upstream : config.upstreams().split(",")) {
        if (!upstream.isBlank()) {
          upstreams.add(socketAddress(upstream.trim(), 53, "upstreams"));
        }
      }
    }
    return new DnsSettings(domain, listen, range(config.listen_port(), 0, 65_535, "listen.port"),
        List.copyOf(upstreams), Path.of(require(config.resolv_conf(), "resolv.conf")),
        range(config.ttl_seconds(), 0, 3600, "ttl.seconds"), range(config.cache_size(), 0, 1_000_000, "cache.size"),
        range(config.cache_negative_size(), 0, 1_000_000, "cache.negative.size"),
        Duration.ofMillis(range(config.upstream_timeout_ms(), 50, 30_000, "upstream.timeout.ms")),
        Duration.ofSeconds(range(config.tcp_idle_timeout_seconds(), 1, 300, "tcp.idle.timeout.seconds")),
        range(config.tcp_max_connections(), 1, 4096, "tcp.max.connections"));
  }

  private static Name domain(String text) {
    String value = require(text, "cluster.domain").trim();
    if (!value.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\.?")
        || value.length() > 200) {
      throw new IllegalArgumentException("cluster.domain: '" + value + "' is not a lower-case DNS domain");
    }
    try {
      return Name.fromString(value.endsWith(".") ? value : value + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("cluster.domain: " + e.getMessage(), e);
    }
  }

  /** {@code ip}, {@code ip:port}, {@code [v6]} or {@code [v6]:port}: IP literals only, never a name lookup. */
  static InetSocketAddress socketAddress(String text, int defaultPort, String key) {
    String host = text;
    int port = defaultPort;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException(key + ": '" + text + "' lacks ']'");
      }
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty()) {
        port = port(rest.startsWith(":") ? rest.substring(1) : "x", text, key);
      }
    } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
      host = text.substring(0, text.indexOf(':'));
      port = port(text.substring(text.indexOf(':') + 1), text, key);
    }
    InetAddress address = ipLiteral(host);
    if (address == null) {
      throw new IllegalArgumentException(key + ": '" + text + "' is not an IP address (ip, ip:port or [v6]:port)");
    }
    return new InetSocketAddress(address, port);
  }

  /** The address an IPv4 or IPv6 literal stands for, or null if it is not one (no name lookup). */
  static InetAddress ipLiteral(String text) {
    byte[] bytes = Address.toByteArray(text, Address.IPv4);
    if (bytes == null && text.indexOf(':') >= 0) {
      bytes = Address.toByteArray(text, Address.IPv6);
    }
    try {
      return bytes == null ? null : InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static int port(String text, String whole, String key) {
    if (!text.matches("[0-9]{1,5}") || Integer.parseInt(text) > 65_535) {
      throw new IllegalArgumentException(key + ": '" + whole + "' has no valid port");
    }
    return Integer.parseInt(text);
  }

  private static int range(int value, int min, int max, String key) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + " must be " + min + ".." + max + ", was " + value);
    }
    return value;
  }

  private static String require(String value, String key) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(key + " must be set");
    }
    return value;
  }
}
