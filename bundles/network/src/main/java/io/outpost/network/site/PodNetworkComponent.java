package io.outpost.network.site;

import io.outpost.containers.PodNetwork;
import io.outpost.metrics.MetricSource;
import io.outpost.network.loop.ReconcileLoop;
import io.outpost.network.site.HostCommands.CommandException;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.SiteNetworkV1;
import io.outpost.store.DesiredState;
import io.outpost.store.StoreListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's pod network, from its {@code SiteNetwork} in the store (so also at a start while cut off): when the
 * node has an IPv4 pod range it makes sure of the pod bridge and its gateway address, offers {@link PodNetwork} to
 * the container manager, routes the site's peers' pod ranges via their LAN addresses and keeps pod source addresses
 * within the site ({@link SiteMasquerade}). Every change of the node's SiteNetwork reconciles all of it on the
 * component's own thread ({@code outpost-network-site}); a failed step is retried with back-off and jitter. The first
 * pass completes before activation returns, so that after a restart the network is offered before pods start.
 *
 * <p>A changed range offers a new {@link PodNetwork} (new pods get the new range; existing pods keep theirs and the old
 * gateway address stays on the bridge). Deactivation (feature uninstall, bundle stop) withdraws the offer and removes
 * the node's routes and its nftables table; the bridge stays, so pods on it keep running. When the whole framework
 * stops (a gateway restart) routes and table are left in place: the next start reconciles them.
 */
@Component(service = {StoreListener.class, MetricSource.class}, immediate = true,
    configurationPid = {PodNetworkComponent.PID, "io.outpost.node"},
    // REQUIRE, as the container manager: with OPTIONAL, Felix SCR activated these two-PID components without
    // io.outpost.node's values (node.name empty, found by the site e2e test); the distribution ships both files.
    configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class PodNetworkComponent implements StoreListener, MetricSource {
  private static final Logger LOG = LoggerFactory.getLogger(PodNetworkComponent.class);
  static final String PID = "io.outpost.network.site";
  static final String THREAD_NAME = "outpost-network-site";
  /** How long activation waits for the first pass. */
  public static final Duration FIRST_PASS = Duration.ofSeconds(30);

  private final DesiredState desired;
  private final HostCommands commands;
  /** Registers a pod network; returns how to withdraw it. */
  private final Function<PodNetwork, Runnable> offer;
  /** True while the whole framework stops: routes and table then stay for the next start. */
  private final BooleanSupplier frameworkStopping;
  private final ReconcileLoop loop;
  private volatile SiteSettings settings;

  /** Only touched on the loop's thread. */
  private SitePodNetwork offered;
  private Runnable withdraw;
  private boolean warnedNoName;

  private volatile int routes;
  private volatile int skipped;

  @Activate
  public PodNetworkComponent(BundleContext context, @Reference(name = "desiredState") DesiredState desired,
      SiteConfig config) {
    this(desired, SiteSettings.from(config), HostCommands.host(), network -> register(context, network),
        () -> context.getBundle(0).getState() == Bundle.STOPPING);
  }

  PodNetworkComponent(DesiredState desired, SiteSettings settings, HostCommands commands,
      Function<PodNetwork, Runnable> offer, BooleanSupplier frameworkStopping) {
    this.desired = desired;
    this.settings = settings;
    this.commands = commands;
    this.offer = offer;
    this.frameworkStopping = frameworkStopping;
    this.loop = new ReconcileLoop(THREAD_NAME, "Pod network step", Duration.ZERO, this::reconcile);
    // The first pass before activation returns: at a start (also offline) the pod network is offered before the
    // container manager (start level 80) starts pods.
    loop.start(() -> { }, FIRST_PASS);
  }

  private static Runnable register(BundleContext context, PodNetwork network) {
    Dictionary<String, Object> properties = new Hashtable<>();
    properties.put("outpost.network.subnet", network.subnet());
    properties.put("outpost.network.bridge", network.bridge());
    ServiceRegistration<PodNetwork> registration = context.registerService(PodNetwork.class, network, properties);
    return () -> {
      try {
        registration.unregister();
      } catch (IllegalStateException e) {
        LOG.debug("Pod network already withdrawn (bundle stopping)");
      }
    };
  }

  @Modified
  void modified(SiteConfig config) {
    SiteSettings next;
    try {
      next = SiteSettings.from(config);
    } catch (IllegalArgumentException e) {
      LOG.error("Configuration change refused, the pod network keeps its previous settings: {}", e.getMessage());
      return;
    }
    SiteSettings previous = settings;
    if (next.equals(previous)) {
      return;
    }
    loop.execute(() -> {
      if (previous.routeProtocol() != next.routeProtocol()) {
        try {
          new PeerRoutes(commands, previous.routeProtocol()).removeAll();
        } catch (CommandException e) {
          LOG.warn("Could not remove the routes of route protocol {}: {}", previous.routeProtocol(), e.getMessage());
        }
      }
      settings = next;
      loop.request();
    });
  }

  @Override
  public void objectsChanged(Set<String> keys) {
    String node = settings.nodeName();
    if (keys.contains(ObjectRef.key("SiteNetwork", null, node))) {
      loop.request();
    }
  }

  /**
   * Brings bridge, offer, routes and masquerading in line with the store; a failed step is thrown for the loop to
   * retry. On the loop's thread only.
   */
  private void reconcile() throws CommandException {
    SiteSettings with = settings;
    if (with.nodeName().isEmpty()) {
      if (!warnedNoName) {
        LOG.warn("No node.name configured (io.outpost.node): the pod network waits for it");
        warnedNoName = true;
      }
      return;
    }
    Optional<SiteNetworkV1> site = desired.siteNetwork(with.nodeName());
    Optional<Ipv4Range> own = site.flatMap(s -> s.podCIDRs().stream().filter(Ipv4Range::isIpv4Cidr).findFirst())
        .map(Ipv4Range::parse).filter(Ipv4Range::holdsPods);
    if (own.isEmpty()) {
      if (offered != null || routes > 0) {
        LOG.info("Node {} has no IPv4 pod range (any more): pod network withdrawn, pods use the engine's default",
            with.nodeName());
      }
      withdrawOffer();
      routes = 0;
      new PeerRoutes(commands, with.routeProtocol()).removeAll();
      new SiteMasquerade(commands).remove();
    } else {
      apply(with, site.get(), own.get());
    }
  }

  private void apply(SiteSettings with, SiteNetworkV1 site, Ipv4Range own) throws CommandException {
    new PodBridge(commands).ensure(with.bridge(), own);
    SitePodNetwork network = SitePodNetwork.of(with, own, commands);
    if (!network.equals(offered)) {
      withdrawOffer();
      withdraw = offer.apply(network);
      offered = network;
      LOG.info("Pod network offered: {} on bridge {} (engine network {}, gateway {}, cluster DNS {})",
          network.subnet(), network.bridge(), network.engineNetwork(), network.gateway(), network.clusterDns());
    }
    List<String> reasons = new ArrayList<>();
    List<PeerRoutes.Route> wanted = PeerRoutes.desired(site, reasons);
    reasons.forEach(reason -> LOG.warn("Site route refused: {}", reason));
    PeerRoutes.Outcome outcome = new PeerRoutes(commands, with.routeProtocol()).reconcile(wanted);
    if (outcome.installed() + outcome.removed() > 0) {
      LOG.info("Routes to site {}'s pod ranges: {} installed or replaced, {} removed, {} unchanged", site.site(),
          outcome.installed(), outcome.removed(), outcome.kept());
    }
    routes = outcome.installed() + outcome.kept();
    skipped = reasons.size() + outcome.skipped().size();
    List<Ipv4Range> siteRanges = wanted.stream().filter(r -> Ipv4Range.isIpv4Cidr(r.destination()))
        .map(r -> Ipv4Range.parse(r.destination())).toList();
    new SiteMasquerade(commands).apply(own, siteRanges);
    if (outcome.failed() > 0) {
      // E.g. a peer's LAN address not on a link yet ("Nexthop has invalid gateway"): the rest is in force, and the
      // whole pass is tried again with back-off until every route is in.
      throw new CommandException(outcome.failed() + " route(s) to site " + site.site()
          + "'s pod ranges not installed (see the warnings above)");
    }
  }

  private void withdrawOffer() {
    if (withdraw != null) {
      withdraw.run();
      LOG.info("Pod network {} withdrawn", offered.subnet());
    }
    withdraw = null;
    offered = null;
  }

  /** The pod network offered now, if any (read on the loop's thread). */
  Optional<PodNetwork> offered() throws InterruptedException, ExecutionException, TimeoutException {
    return loop.call(() -> Optional.<PodNetwork>ofNullable(offered), Duration.ofSeconds(30));
  }

  @Override
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("outpost_edge_network_pod_network_offered", withdraw != null ? 1.0 : 0.0);
    metrics.put("outpost_edge_network_site_routes", (double) routes);
    metrics.put("outpost_edge_network_site_routes_skipped", (double) skipped);
    metrics.put("outpost_edge_network_site_failures_total", (double) loop.failures());
    return metrics;
  }

  /**
   * Withdraws the pod network; removes the routes and the nftables table unless the whole framework stops. Pods keep
   * running, on the bridge, which stays. Idempotent.
   */
  @Deactivate
  void deactivate() {
    if (loop.isStopped()) {
      return;
    }
    boolean keep = frameworkStopping.getAsBoolean();
    loop.stop(() -> {
      withdrawOffer();
      if (keep) {
        LOG.info("Framework stopping: the node's site routes and nftables table stay until the next start");
        return;
      }
      try {
        int removed = new PeerRoutes(commands, settings.routeProtocol()).removeAll();
        new SiteMasquerade(commands).remove();
        LOG.info("Pod network stopped: {} site routes and table ip {} removed, bridge {} left for running pods",
            removed, SiteMasquerade.TABLE, settings.bridge());
      } catch (CommandException e) {
        LOG.warn("Could not remove the node's site routes or table: {}", e.getMessage());
      }
    }, Duration.ofSeconds(60));
  }
}
