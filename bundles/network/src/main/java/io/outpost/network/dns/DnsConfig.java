package io.outpost.network.dns;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The metatype of the cluster DNS server's own PID (its keys may also be set in the node-wide io.outpost.node). */
@ObjectClassDefinition(pid = ClusterDnsComponent.PID, name = "Outpost cluster DNS",
    description = "The node's DNS server for its pods: cluster names from the store, everything else forwarded.")
public @interface DnsConfig {
  @AttributeDefinition(description = "The cluster's DNS domain (the kubelet's clusterDomain). Set it in "
      + "io.outpost.node.cfg to change it for the container manager and the DNS server together.")
  String cluster_domain() default DnsSettings.DEFAULT_DOMAIN;

  @AttributeDefinition(description = "Address to listen on, host or host:port ([v6]:port); empty: the pod network's "
      + "gateway (the pod bridge's address) on listen.port, as soon as the node has a pod network.")
  String listen_address() default "";

  @AttributeDefinition(description = "Port on the pod gateway (UDP and TCP).", min = "0", max = "65535")
  int listen_port() default 53;

  @AttributeDefinition(description = "Upstream resolvers for names outside the cluster domain, comma-separated "
      + "ip or ip:port ([v6]:port); empty: the nameservers of resolv.conf.")
  String upstreams() default "";

  @AttributeDefinition(description = "The resolv.conf whose nameservers are the upstreams when upstreams is empty "
      + "(re-read when it changes).")
  String resolv_conf() default "/etc/resolv.conf";

  @AttributeDefinition(description = "TTL of cluster records, seconds (CoreDNS's kubernetes plugin: 5).",
      min = "0", max = "3600")
  int ttl_seconds() default 5;

  @AttributeDefinition(description = "Forwarded answers kept in the cache, at most (0: no cache).", min = "0")
  int cache_size() default 2048;

  @AttributeDefinition(description = "Forwarded negative answers (NXDOMAIN, NODATA; RFC 2308) kept, at most.",
      min = "0")
  int cache_negative_size() default 512;

  @AttributeDefinition(description = "Milliseconds to wait for one upstream before trying the next.",
      min = "50", max = "30000")
  int upstream_timeout_ms() default 2000;

  @AttributeDefinition(description = "Seconds a TCP client may stay idle (or take for one query) before it is "
      + "disconnected.", min = "1", max = "300")
  int tcp_idle_timeout_seconds() default 10;

  @AttributeDefinition(description = "TCP connections served at once; more are closed at once.", min = "1",
      max = "4096")
  int tcp_max_connections() default 64;
}
