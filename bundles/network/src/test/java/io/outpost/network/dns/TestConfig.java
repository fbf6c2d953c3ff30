package io.outpost.network.dns;

/** A {@link DnsConfig} as Configuration Admin would hand it to the component, for tests. */
@SuppressWarnings("all") // a record implementing an annotation interface, as a test stand-in for the metatype proxy
record TestConfig(String cluster_domain, String listen_address, int listen_port, String upstreams,
    String resolv_conf, int ttl_seconds, int cache_size, int cache_negative_size, int upstream_timeout_ms,
    int tcp_idle_timeout_seconds, int tcp_max_connections) implements DnsConfig {

  /** The defaults, listening on {@code listen} (e.g. {@code 127.0.0.20:0}), forwarding to {@code upstreams}. */
  static TestConfig listening(String listen, String upstreams) {
    return new TestConfig("cluster.local", listen, 53, upstreams, "/etc/resolv.conf", 5, 2048, 512, 2000, 10, 64);
  }

  TestConfig withDomain(String domain) {
    return new TestConfig(domain, listen_address, listen_port, upstreams, resolv_conf, ttl_seconds, cache_size,
        cache_negative_size, upstream_timeout_ms, tcp_idle_timeout_seconds, tcp_max_connections);
  }

  TestConfig withListen(String listen, int port) {
    return new TestConfig(cluster_domain, listen, port, upstreams, resolv_conf, ttl_seconds, cache_size,
        cache_negative_size, upstream_timeout_ms, tcp_idle_timeout_seconds, tcp_max_connections);
  }

  TestConfig withUpstreamTimeout(int millis) {
    return new TestConfig(cluster_domain, listen_address, listen_port, upstreams, resolv_conf, ttl_seconds,
        cache_size, cache_negative_size, millis, tcp_idle_timeout_seconds, tcp_max_connections);
  }

  TestConfig withTcp(int idleSeconds, int maxConnections) {
    return new TestConfig(cluster_domain, listen_address, listen_port, upstreams, resolv_conf, ttl_seconds,
        cache_size, cache_negative_size, upstream_timeout_ms, idleSeconds, maxConnections);
  }

  @Override
  public Class<? extends java.lang.annotation.Annotation> annotationType() {
    return DnsConfig.class;
  }
}
