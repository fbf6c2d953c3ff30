package io.outpost.network.dns;

import io.outpost.containers.PodNetwork;
import io.outpost.metrics.MetricSource;
import io.outpost.store.DesiredState;
import io.outpost.store.StoreListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's cluster DNS server: answers the cluster domain from the store (Services and the site's EndpointSlices,
 * so also while the site is cut off from the cloud) and forwards every other name to the node's upstream resolvers
 * through a cache. Listens on the pod network's gateway (port 53) while a {@link PodNetwork} is registered, moving
 * when it changes and closing when it goes, or on {@code listen.address} if one is configured.
 *
 * <p>Owns the thread {@code outpost-dns} (zone rebuilds after store changes, binding with back-off, the TCP write
 * watchdog) and the forwarding pool {@code outpost-dns-forward}. Configured by {@code io.outpost.network.dns} and
 * {@code io.outpost.node} (node-wide keys, which win, e.g. {@code cluster.domain}); a change is applied live.
 */
@Component(service = {StoreListener.class, MetricSource.class}, immediate = true,
    configurationPid = {ClusterDnsComponent.PID, "io.outpost.node"},
    configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class ClusterDnsComponent implements StoreListener, MetricSource {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterDnsComponent.class);
  static final String PID = "io.outpost.network.dns";
  private static final int FORWARD_THREADS = 8;
  private static final int FORWARD_QUEUE = 512;
  private static final long MAX_RETRY_MILLIS = 30_000;

  private final DesiredState store;
  private final ScheduledThreadPoolExecutor executor;
  private final ThreadPoolExecutor forwarding;
  private final DnsMetrics metrics = new DnsMetrics();
  private final AtomicBoolean rebuildQueued = new AtomicBoolean();
  private final AtomicInteger serial = new AtomicInteger();
  private volatile DnsSettings settings;
  private volatile ClusterZone zone;
  private volatile ResponseCache cache;
  private volatile QueryHandler handler;
  private volatile PodNetwork podNetwork;
  /** Only changed on the executor's thread. */
  private volatile DnsServer server;
  private InetSocketAddress requested;
  private ScheduledFuture<?> retry;
  private int bindFailures;

  @Activate
  public ClusterDnsComponent(@Reference(name = "desiredState") DesiredState store, DnsConfig config) {
    this.store = store;
    this.settings = DnsSettings.from(config);
    this.executor = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "outpost-dns"));
    executor.setRemoveOnCancelPolicy(true);
    AtomicInteger n = new AtomicInteger();
    this.forwarding = new ThreadPoolExecutor(FORWARD_THREADS, FORWARD_THREADS, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(FORWARD_QUEUE), r -> daemon(r, "outpost-dns-forward-" + n.incrementAndGet()));
    forwarding.allowCoreThreadTimeOut(true);
    start(settings);
    executor.execute(this::rebind);
  }

  private static Thread daemon(Runnable runnable, String name) {
    Thread thread = new Thread(runnable, name);
    thread.setDaemon(true);
    return thread;
  }

  /** Zone, cache and handler for {@code with}; the zone is read from the store before anything listens. */
  private void start(DnsSettings with) {
    this.zone = ZoneBuilder.build(store, with.domain(), with.ttl(), serial.incrementAndGet());
    this.cache = new ResponseCache(with.cacheSize(), with.negativeCacheSize(), System::nanoTime);
    Upstreams upstreams = new Upstreams(with.upstreams(), with.resolvConf(), this::address0);
    Forwarder forwarder = new Forwarder(upstreams, with.upstreamTimeout(), (upstream, reason) -> {
      metrics.upstreamFailed(reason);
      LOG.debug("Cluster DNS upstream {} failed: {}", upstream, reason);
    });
    this.handler = new QueryHandler(() -> zone, cache, forwarder, metrics);
    LOG.info("Cluster DNS for {} with {} names from the store", with.domain(), zone.size());
  }

  @Reference(name = "podNetwork", cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
      policyOption = ReferencePolicyOption.GREEDY)
  void bindPodNetwork(PodNetwork network) {
    podNetwork = network;
    executor.execute(this::rebind);
  }

  void updatedPodNetwork(PodNetwork network) {
    executor.execute(this::rebind);
  }

  void unbindPodNetwork(PodNetwork network) {
    if (podNetwork == network) {
      podNetwork = null;
    }
    executor.execute(this::rebind);
  }

  @Modified
  void modified(DnsConfig config) {
    DnsSettings changed = DnsSettings.from(config);
    if (changed.equals(settings)) {
      return;
    }
    executor.execute(() -> {
      LOG.info("Cluster DNS configuration changed: starting again");
      closeServer();
      settings = changed;
      start(changed);
      rebind();
    });
  }

  @Override
  public void objectsChanged(Set<String> keys) {
    boolean relevant = keys.stream().anyMatch(k -> k.startsWith("Service/") || k.startsWith("EndpointSlice/"));
    if (relevant && rebuildQueued.compareAndSet(false, true)) {
      executor.execute(this::rebuild);
    }
  }

  private void rebuild() {
    rebuildQueued.set(false);
    try {
      DnsSettings with = settings;
      zone = ZoneBuilder.build(store, with.domain(), with.ttl(), serial.incrementAndGet());
    } catch (RuntimeException e) {
      LOG.warn("Cluster DNS could not read the store; keeps answering from what it read before", e);
    }
  }

  /** Listens where it should now; on the executor's thread. */
  private void rebind() {
    InetSocketAddress target = target();
    if (server != null && target != null && target.equals(requested)) {
      return;
    }
    closeServer();
    if (target == null) {
      return;
    }
    requested = target;
    try {
      server = DnsServer.open(target, handler, forwarding, executor, metrics, settings.tcpIdleTimeout(),
          settings.tcpMaxConnections());
      bindFailures = 0;
      LOG.info("Cluster DNS listening on {} (UDP and TCP)", server.address());
    } catch (IOException | RuntimeException e) {
      metrics.bindFailed();
      long cap = Math.min(MAX_RETRY_MILLIS, 500L << Math.min(bindFailures, 10));
      long delay = ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
      if (bindFailures++ == 0) {
        LOG.warn("Cluster DNS cannot listen on {}: {}; retrying with back-off", target, e.toString());
      }
      retry = executor.schedule(this::rebind, delay, TimeUnit.MILLISECONDS);
      requested = null;
    }
  }

  private InetSocketAddress target() {
    DnsSettings with = settings;
    if (with.listen() != null) {
      return with.listen();
    }
    PodNetwork network = podNetwork;
    if (network == null) {
      return null;
    }
    InetAddress gateway = network.gateway() == null ? null : DnsSettings.ipLiteral(network.gateway());
    if (gateway == null) {
      LOG.warn("Cluster DNS: the pod network's gateway '{}' is not an IP address; not listening", network.gateway());
      return null;
    }
    return new InetSocketAddress(gateway, with.gatewayPort());
  }

  private void closeServer() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
    DnsServer open = server;
    if (open != null) {
      server = null;
      open.close();
      LOG.info("Cluster DNS stopped listening on {}", open.address());
    }
    requested = null;
  }

  /** Where the server listens now, if it does. */
  Optional<InetSocketAddress> address() {
    return Optional.ofNullable(address0());
  }

  private InetSocketAddress address0() {
    DnsServer open = server;
    return open == null ? null : open.address();
  }

  DnsMetrics dnsMetrics() {
    return metrics;
  }

  @Override
  public Map<String, Double> metrics() {
    return metrics.series(cache, server != null);
  }

  @Deactivate
  void deactivate() {
    if (executor.isShutdown()) {
      return;
    }
    try {
      executor.submit(this::closeServer).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Cluster DNS did not stop cleanly", e);
    }
    executor.shutdownNow();
    forwarding.shutdownNow();
  }
}
