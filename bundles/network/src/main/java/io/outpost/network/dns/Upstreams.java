package io.outpost.network.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resolvers names outside the cluster domain go to: the configured ones, or the {@code nameserver} lines of
 * resolv.conf, read again when the file changes (checked at most every {@link #RECHECK_NANOS}). The server's own
 * listen address is never an upstream (that would loop).
 */
final class Upstreams {
  private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);
  static final long RECHECK_NANOS = 5_000_000_000L;

  private final List<InetSocketAddress> configured;
  private final Path resolvConf;
  private final Supplier<InetSocketAddress> self;
  private volatile List<InetSocketAddress> fromFile = List.of();
  private volatile FileTime readAt;
  private volatile long checkedAt = System.nanoTime() - RECHECK_NANOS;

  Upstreams(List<InetSocketAddress> configured, Path resolvConf, Supplier<InetSocketAddress> self) {
    this.configured = configured;
    this.resolvConf = resolvConf;
    this.self = self;
  }

  /** The upstreams in order of preference (never the server's own address). */
  List<InetSocketAddress> current() {
    List<InetSocketAddress> all = configured.isEmpty() ? fromFile() : configured;
    InetSocketAddress own = self.get();
    if (own == null) {
      return all;
    }
    List<InetSocketAddress> others = new ArrayList<>(all.size());
    for (InetSocketAddress upstream : all) {
      if (!upstream.equals(own)) {
        others.add(upstream);
      }
    }
    return others;
  }

  private List<InetSocketAddress> fromFile() {
    long now = System.nanoTime();
    if (now - checkedAt >= RECHECK_NANOS) {
      checkedAt = now;
      try {
        FileTime modified = Files.getLastModifiedTime(resolvConf);
        if (!modified.equals(readAt)) {
          readAt = modified;
          fromFile = parse(Files.readAllLines(resolvConf));
          LOG.info("Cluster DNS forwards to {} (from {})", fromFile, resolvConf);
        }
      } catch (IOException e) {
        if (readAt != null || !fromFile.isEmpty()) {
          LOG.warn("Cluster DNS cannot read {}: {}; keeps {}", resolvConf, e.getMessage(), fromFile);
        }
        readAt = null;
      }
    }
    return fromFile;
  }

  /** The {@code nameserver} addresses of resolv.conf lines (port 53; IP literals only, zone ids dropped). */
  static List<InetSocketAddress> parse(List<String> lines) {
    List<InetSocketAddress> servers = new ArrayList<>();
    for (String line : lines) {
      String[] words = line.trim().split("\\s+");
      if (words.length >= 2 && "nameserver".equals(words[0])) {
        String host = words[1];
        int zone = host.indexOf('%');
        InetAddress address = DnsSettings.ipLiteral(zone < 0 ? host : host.substring(0, zone));
        if (address != null) {
          servers.add(new InetSocketAddress(address, 53));
        }
      }
    }
    return List.copyOf(servers);
  }
}
