package io.outpost.bench;

/**
 * {@code bench/dns.sh [seconds] [clients]}: the node's cluster DNS server, queries per second and latency p50/p99
 * for cluster names, search-path misses and cached forwarded names (see
 * {@link io.outpost.network.dns.ClusterDnsBench}).
 */
public final class DnsBench {
  private DnsBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    io.outpost.network.dns.ClusterDnsBench.run(seconds, clients);
  }
}
