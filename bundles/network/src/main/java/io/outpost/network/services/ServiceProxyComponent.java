package io.outpost.network.services;

import io.outpost.containers.ContainerManager;
import io.outpost.containers.PodRuntime;
import io.outpost.metrics.MetricSource;
import io.outpost.network.loop.ReconcileLoop;
import io.outpost.network.site.HostCommands;
import io.outpost.network.site.HostCommands.CommandException;
import io.outpost.network.site.Ipv4Range;
import io.outpost.network.site.PodNetworkComponent;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.SiteNetworkV1;
import io.outpost.store.DesiredState;
import io.outpost.store.Outbox;
import io.outpost.store.StoreListener;
import java.net.Inet4Address;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Programs the node's Service forwarding ({@link NftScript}, table {@code ip outpost}) from the store's Services,
 * EndpointSlices and SiteNetwork and from the readiness of this node's own pods, on its own thread
 * ({@code outpost-network-services}). Store changes and readiness changes (looked at every
 * {@code readiness.period.millis}) ask for a rendering, coalesced over {@value #DEBOUNCE_MILLIS} ms; a rendering
 * equal to the one in force is not applied again. The first rendering writes the table whole; later ones apply only
 * the changes ({@link NftDelta}), so a change costs what it touches, not the table's size, and ClientIP affinity
 * entries survive it. If {@code nft} refuses a script, the previous ruleset stays in force (one transaction), the
 * failure is logged and counted and the apply retried, with back-off and jitter, as a whole table.
 * Refused Services: {@link RefusalReporter}.
 *
 * <p>Deactivation (feature uninstall, bundle stop) deletes the table; when the whole framework stops (a gateway
 * restart) it stays in force until the next start renders it again from the store.
 */
@Component(service = {StoreListener.class, MetricSource.class}, immediate = true,
    configurationPid = {ServiceProxyComponent.PID, "io.outpost.node"},
    // REQUIRE, as the container manager: with OPTIONAL, Felix SCR activated these two-PID components without
    // io.outpost.node's values (node.name empty, found by the site e2e test); the distribution ships both files.
    configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class ServiceProxyComponent implements StoreListener, MetricSource {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceProxyComponent.class);
  static final String PID = "io.outpost.network.services";
  static final String THREAD_NAME = "outpost-network-services";
  static final long DEBOUNCE_MILLIS = 100;
  /** {@link #applied} when no table is in force because the node has no pod range. */
  private static final String WITHDRAWN = "";

  @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
  volatile ContainerManager containers;

  private final DesiredState desired;
  private final Outbox<EventReport> events;
  private final HostCommands commands;
  /** This node's pods as the container manager sees them, or null without one. */
  private final Supplier<List<PodRuntime>> localPods;
  private final Supplier<Set<String>> nodeAddresses;
  private final BooleanSupplier frameworkStopping;
  private final ReconcileLoop loop;
  private volatile ProxySettings settings;

  /** Only touched on the loop's thread. */
  private RefusalReporter refusals;
  private ScheduledFuture<?> poll;
  /** The table as this component last applied it, or null when the kernel's may differ (none yet, a failure). */
  private NftRuleset inForce;
  private Map<String, LocalPod> lastLocal;
  private Set<String> incumbents = Set.of();
  private boolean warnedNoName;

  private volatile String applied;
  private volatile long programmed;
  private final AtomicLong applies = new AtomicLong();
  private final AtomicLong wholeApplies = new AtomicLong();
  /** Renderings that failed (not retried: the input is the same until the store changes). */
  private final AtomicLong renderFailures = new AtomicLong();
  private volatile double lastApplySeconds;

  @Activate
  public ServiceProxyComponent(BundleContext context, @Reference(name = "desiredState") DesiredState desired,
      @Reference(name = "events", target = "(" + Outbox.NAME + "=" + Outbox.EVENT + ")") Outbox<EventReport> events,
      ServicesConfig config) {
    this(desired, events, ProxySettings.from(config), HostCommands.host(), null, ServiceProxyComponent::ownAddresses,
        () -> context.getBundle(0).getState() == Bundle.STOPPING);
  }

  /** @param localPods this node's pods, or null to ask the bound {@link ContainerManager} (if any) */
  ServiceProxyComponent(DesiredState desired, Outbox<EventReport> events, ProxySettings settings,
      HostCommands commands, Supplier<List<PodRuntime>> localPods, Supplier<Set<String>> nodeAddresses,
      BooleanSupplier frameworkStopping) {
    this.desired = desired;
    this.events = events;
    this.settings = settings;
    this.commands = commands;
    this.localPods = localPods != null ? localPods : () -> {
      ContainerManager manager = containers;
      return manager == null ? null : manager.pods();
    };
    this.nodeAddresses = nodeAddresses;
    this.frameworkStopping = frameworkStopping;
    this.loop = new ReconcileLoop(THREAD_NAME, "Applying the Service ruleset (the previous one stays in force)",
        Duration.ofMillis(DEBOUNCE_MILLIS), this::render);
    // The first rendering before activation returns: after a restart (also offline) Services work before pods start.
    loop.start(() -> start(settings), PodNetworkComponent.FIRST_PASS);
  }

  /** Starts the readiness watch for {@code with}; on the loop's thread. */
  private void start(ProxySettings with) {
    if (refusals == null || !with.nodeName().equals(settings.nodeName())) {
      refusals = new RefusalReporter(events, with.nodeName(), Clock.systemUTC());
    }
    settings = with;
    if (poll != null) {
      poll.cancel(false);
    }
    poll = loop.every(with.readinessPeriod(), this::watchReadiness);
    loop.request();
  }

  @Modified
  void modified(ServicesConfig config) {
    ProxySettings next;
    try {
      next = ProxySettings.from(config);
    } catch (IllegalArgumentException e) {
      LOG.error("Configuration change refused, Service forwarding keeps its previous settings: {}", e.getMessage());
      return;
    }
    if (!next.equals(settings)) {
      loop.execute(() -> start(next));
    }
  }

  @Override
  public void objectsChanged(Set<String> keys) {
    String site = ObjectRef.key("SiteNetwork", null, settings.nodeName());
    for (String key : keys) {
      if (key.startsWith("Service/") || key.startsWith("EndpointSlice/") || key.equals(site)) {
        request();
        return;
      }
    }
  }

  /** Asks for a rendering in {@value #DEBOUNCE_MILLIS} ms; requests until then are merged into it. */
  void request() {
    loop.request();
  }

  private Map<String, LocalPod> local() {
    List<PodRuntime> pods = localPods.get();
    return pods == null ? null : LocalPod.of(pods);
  }

  private void watchReadiness() {
    try {
      Map<String, LocalPod> now = local();
      if (!java.util.Objects.equals(now, lastLocal)) {
        request();
      }
    } catch (RuntimeException e) {
      LOG.warn("Could not read the local pods' readiness: {}", e.toString());
    }
  }

  /**
   * Renders from the store and applies if the ruleset changed; a failed apply is thrown for the loop to retry. On the
   * loop's thread only.
   */
  private void render() throws CommandException {
    ProxySettings with = settings;
    if (with.nodeName().isEmpty()) {
      if (!warnedNoName) {
        LOG.warn("No node.name configured (io.outpost.node): Service forwarding waits for it");
        warnedNoName = true;
      }
      return;
    }
    SiteNetworkV1 site = desired.siteNetwork(with.nodeName()).orElse(null);
    if (site == null || site.podCIDRs().stream().noneMatch(Ipv4Range::isIpv4Cidr)) {
      withdraw();
      return;
    }
    NftRuleset next;
    String script;
    Plan plan;
    try {
      lastLocal = local();
      List<Ipv4Range> podRanges = podRanges(site);
      plan = ServicePlanner.plan(new ProxyInput(desired.services(), desired.endpointSlices(), lastLocal, podRanges,
          nodeAddresses.get(), with, incumbents));
      next = NftScript.ruleset(plan, podRanges, with.nodeName());
      script = next.script();
    } catch (RuntimeException e) {
      renderFailures.incrementAndGet();
      LOG.error("Could not render the Service forwarding; the ruleset in force stays", e);
      return;
    }
    refusals.report(plan.refused());
    if (script.equals(applied)) {
      return;
    }
    // The changes from the table in force, or the whole table: at the first apply, after a failed one (the kernel's
    // table may then differ from what this component believes), or where a delta cannot express the change.
    java.util.Optional<String> delta = inForce == null ? java.util.Optional.empty() : NftDelta.between(inForce, next);
    long start = System.nanoTime();
    try {
      commands.run(delta.orElse(script), List.of("nft", "-f", "-"));
    } catch (CommandException e) {
      inForce = null;
      throw e;
    }
    lastApplySeconds = (System.nanoTime() - start) / 1e9;
    inForce = next;
    applied = script;
    applies.incrementAndGet();
    if (delta.isEmpty()) {
      wholeApplies.incrementAndGet();
    }
    incumbents = new HashSet<>(plan.ports().stream().map(Plan.PortProgram::serviceKey).toList());
    programmed = incumbents.size();
    LOG.debug("Service ruleset applied ({}): {} Services, {} ports, {} refused, in {} ms",
        delta.isPresent() ? "changes, " + delta.get().length() + " bytes" : "whole table", programmed,
        plan.ports().size(), plan.refused().size(), Math.round(lastApplySeconds * 1000));
  }

  /** This node's and its peers' IPv4 pod ranges, without overlaps (an nftables interval set refuses them). */
  static List<Ipv4Range> podRanges(SiteNetworkV1 site) {
    List<Ipv4Range> ranges = new ArrayList<>();
    if (site == null) {
      return ranges;
    }
    List<String> all = new ArrayList<>(site.podCIDRs());
    site.peers().forEach(peer -> all.addAll(peer.podCIDRs()));
    for (String cidr : all) {
      if (Ipv4Range.isIpv4Cidr(cidr)) {
        Ipv4Range range = Ipv4Range.parse(cidr);
        if (ranges.stream().noneMatch(range::overlaps)) {
          ranges.add(range);
        }
      }
    }
    return ranges;
  }

  private static Set<String> ownAddresses() {
    Set<String> addresses = new HashSet<>();
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        Collections.list(nic.getInetAddresses()).stream().filter(Inet4Address.class::isInstance)
            .forEach(address -> addresses.add(address.getHostAddress()));
      }
    } catch (SocketException e) {
      LOG.warn("Could not list the node's addresses: {}", e.getMessage());
    }
    return addresses;
  }

  /** The ruleset in force (the last script applied), or null before the first. */
  String applied() {
    return applied;
  }

  @Override
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("outpost_edge_network_service_rules_applied_total", (double) applies.get());
    metrics.put("outpost_edge_network_service_whole_table_applies_total", (double) wholeApplies.get());
    metrics.put("outpost_edge_network_service_apply_failures_total",
        (double) (loop.failures() + renderFailures.get()));
    metrics.put("outpost_edge_network_service_apply_seconds", lastApplySeconds);
    metrics.put("outpost_edge_network_services_programmed", (double) programmed);
    RefusalReporter reporter = refusals;
    metrics.put("outpost_edge_network_services_refused", reporter == null ? 0.0 : reporter.current());
    metrics.put("outpost_edge_network_service_refusals_total", reporter == null ? 0.0 : reporter.total());
    return metrics;
  }

  /**
   * The node has no IPv4 pod range (yet, or any more: no site networking on it): it programs no Service, and a table
   * of an earlier rendering (this run, or one a framework stop left) goes. Several nodes without ranges may share one
   * network namespace (test machines): none of them leaves a table behind for the others. On the loop's thread.
   */
  private void withdraw() {
    if (WITHDRAWN.equals(applied)) {
      return;
    }
    boolean programmedBefore = applied != null;
    try {
      commands.run("add table ip " + NftScript.TABLE + "\ndelete table ip " + NftScript.TABLE + "\n",
          List.of("nft", "-f", "-"));
      if (programmedBefore) {
        LOG.info("This node has no pod range any more: Service forwarding stopped, table ip {} removed",
            NftScript.TABLE);
      } else {
        LOG.info("This node has no pod range (yet): no Service forwarding until its SiteNetwork names one");
      }
    } catch (CommandException e) {
      if (programmedBefore) {
        renderFailures.incrementAndGet();
        LOG.warn("Could not remove table ip {}: {}", NftScript.TABLE, e.getMessage());
      } else {
        // Without site networking a node may have no nft at all: nothing of ours can be in force then.
        LOG.info("This node has no pod range (yet): no Service forwarding ({})", e.getMessage());
      }
    }
    applied = WITHDRAWN;
    inForce = null;
    incumbents = Set.of();
    programmed = 0;
  }

  /** Stops; deletes the table unless the whole framework stops. Idempotent. */
  @Deactivate
  void deactivate() {
    if (loop.isStopped()) {
      return;
    }
    boolean keep = frameworkStopping.getAsBoolean();
    loop.stop(() -> {
      if (keep) {
        LOG.info("Framework stopping: the Service ruleset (table ip {}) stays until the next start", NftScript.TABLE);
        return;
      }
      try {
        commands.run("add table ip " + NftScript.TABLE + "\ndelete table ip " + NftScript.TABLE + "\n",
            List.of("nft", "-f", "-"));
        LOG.info("Service forwarding stopped: table ip {} removed", NftScript.TABLE);
      } catch (CommandException e) {
        LOG.warn("Could not remove table ip {}: {}", NftScript.TABLE, e.getMessage());
      }
    }, Duration.ofSeconds(60));
  }
}
