package io.outpost.bridge.site;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventSource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.outpost.bridge.config.PodNetworks;
import io.outpost.bridge.kube.JsonPatch;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.net.Cidr;
import java.math.BigInteger;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carves each edge node's pod range out of its site's pool ({@code OUTPOST_SITE_POD_CIDRS}) and records it on the
 * Node, as the node-ipam controller does: {@code spec.podCIDR} and {@code spec.podCIDRs}, by a JSON patch that adds
 * them only to the Node as last seen without them (guarded by its resourceVersion) — a real API server refuses to
 * change them once set, so a range, once recorded, is the node's for good, also across bridge restarts. Only the
 * active replica allocates. The block is the lowest of the node mask size ({@code OUTPOST_NODE_CIDR_MASK_SIZE},
 * {@code OUTPOST_NODE_CIDR_MASK_SIZE_IPV6}) that overlaps no other node's range (recorded, operator-assigned, or
 * in flight). A pool that cannot give a block (exhausted, or smaller than a block) is logged, counted and reported
 * as a Warning Event on the Node, once per node and reason; the node then has the default range, and is tried again
 * on every later change of an edge Node (a deleted node frees its block).
 *
 * <p>Passes run on one thread of their own, coalesced: a burst of Node changes costs one pass.
 */
public final class PodCidrAllocator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PodCidrAllocator.class);
  /** The node-ipam controller's reason for the same condition. */
  static final String REASON = "CIDRNotAvailable";

  private final KubernetesClient client;
  private final Sites sites;
  private final Metrics metrics;
  private final BooleanSupplier active;
  private final Consumer<String> changed;
  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "outpost-bridge-pod-cidrs");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean queued = new AtomicBoolean();

  /**
   * {@code active}: whether this replica allocates; {@code changed} hears of a node whose range changed without a
   * Node update (it became unallocatable).
   */
  public PodCidrAllocator(KubernetesClient client, Sites sites, Metrics metrics, BooleanSupplier active,
      Consumer<String> changed) {
    this.client = client;
    this.sites = sites;
    this.metrics = metrics;
    this.active = active;
    this.changed = changed;
    metrics.gauge("outpost_bridge_pod_cidr_unallocated_nodes", sites::unallocatableCount);
  }

  /** Queues a pass over every edge Node, unless one is queued already. Any thread. */
  public void request() {
    if (queued.compareAndSet(false, true)) {
      try {
        thread.execute(() -> {
          queued.set(false);
          pass();
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        queued.set(false); // closing
      }
    }
  }

  /** A node left the cluster: whatever was remembered for it goes. */
  public void forget(String node) {
    sites.settled(node);
    request();
  }

  private void pass() {
    if (!active.getAsBoolean()) {
      return;
    }
    List<Node> nodes = new ArrayList<>(sites.nodes());
    nodes.sort(Comparator.comparing(n -> n.getMetadata().getName()));
    for (Node node : nodes) {
      String name = node.getMetadata().getName();
      if (!Sites.specRanges(node).isEmpty()) {
        sites.settled(name); // the cache shows it: nothing left to remember
        continue;
      }
      String site = sites.siteOf(node);
      List<Cidr> pool = site == null ? null : sites.networks().bySite().get(site);
      if (pool == null || sites.networks().byNode().containsKey(name) || sites.isRecorded(name)) {
        if (sites.isUnallocatable(name)) {
          sites.settled(name); // it left the site whose pool was exhausted: nothing to wait for
        }
        continue;
      }
      try {
        allocate(node, site, pool, nodes);
      } catch (RuntimeException e) {
        metrics.increment("outpost_bridge_pod_cidr_allocations_total", "outcome", "error");
        LOG.warn("Pod range for node {} not recorded (tried again on the next Node change): {}", name,
            e.toString());
      }
    }
  }

  private void allocate(Node node, String site, List<Cidr> pool, List<Node> nodes) {
    String name = node.getMetadata().getName();
    List<Cidr> used = new ArrayList<>();
    for (Node other : nodes) {
      used.addAll(Sites.specRanges(other));
    }
    sites.networks().byNode().values().forEach(used::addAll);
    sites.inFlight().forEach(used::addAll);
    List<Cidr> blocks = new ArrayList<>(pool.size());
    for (Cidr range : pool) {
      int mask = range.ipv6() ? sites.networks().nodeMaskIpv6() : sites.networks().nodeMaskIpv4();
      if (mask < range.prefix()) {
        unallocatable(node, "unusable", "pool " + range + " smaller than a /" + mask, "the pool " + range
            + " of site " + site + " is smaller than one node range (/" + mask + "): set OUTPOST_NODE_CIDR_MASK_SIZE"
            + (range.ipv6() ? "_IPV6" : "") + " or widen the pool");
        return;
      }
      Optional<Cidr> block = lowestFree(range, mask, used);
      if (block.isEmpty()) {
        unallocatable(node, "exhausted", "pool " + range + " exhausted", "the pool " + range + " of site " + site
            + " has no free /" + mask + " left for node " + name + " (widen the site's range in"
            + " OUTPOST_SITE_POD_CIDRS, or delete the Node objects of nodes that left)");
        return;
      }
      blocks.add(block.get());
    }
    List<String> texts = blocks.stream().map(Cidr::toString).toList();
    List<Map<String, Object>> patch = new ArrayList<>();
    patch.add(JsonPatch.op("test", "/metadata/resourceVersion", node.getMetadata().getResourceVersion()));
    if (node.getSpec() == null) {
      patch.add(JsonPatch.op("add", "/spec", Map.of("podCIDR", texts.get(0), "podCIDRs", texts)));
    } else {
      patch.add(JsonPatch.op("add", "/spec/podCIDR", texts.get(0)));
      patch.add(JsonPatch.op("add", "/spec/podCIDRs", texts));
    }
    try {
      client.nodes().withName(name).patch(PatchContext.of(PatchType.JSON),
          new KubernetesSerialization().asJson(patch));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 422 || e.getCode() == 404) {
        // The Node changed since the cache saw it (or left): the change's event brings another pass.
        metrics.increment("outpost_bridge_pod_cidr_allocations_total", "outcome", "conflict");
        LOG.debug("Node {} changed before its pod range was recorded: {}", name, e.getMessage());
        return;
      }
      throw e;
    }
    sites.recorded(name, blocks);
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "nodes");
    metrics.increment("outpost_bridge_pod_cidr_allocations_total", "outcome", "allocated");
    LOG.info("Node {} (site {}): pod range {} allocated from the site's pool and recorded as spec.podCIDRs", name,
        site, String.join(",", texts));
    changed.accept(name);
  }

  private void unallocatable(Node node, String outcome, String reason, String why) {
    String name = node.getMetadata().getName();
    if (!sites.unallocatable(name, reason)) {
      return; // said and counted already
    }
    metrics.increment("outpost_bridge_pod_cidr_allocations_total", "outcome", outcome);
    LOG.warn("Node {}: no pod range from its site's pool: {}; it has the default range (OUTPOST_POD_CIDRS) until a"
        + " block is free", name, why);
    event(node, why);
    changed.accept(name);
  }

  /** A Warning Event on the Node, as the node-ipam controller reports the same condition. */
  private void event(Node node, String why) {
    String name = node.getMetadata().getName();
    String now = Clock.systemUTC().instant().truncatedTo(ChronoUnit.SECONDS).toString();
    byte[] id = new byte[8];
    ThreadLocalRandom.current().nextBytes(id);
    try {
      client.v1().events().inNamespace("default").resource(new EventBuilder()
          .withNewMetadata().withName((name.length() > 236 ? name.substring(0, 236) : name) + "."
              + HexFormat.of().formatHex(id)).withNamespace("default").endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion("v1").withKind("Node").withName(name)
              .withUid(node.getMetadata().getUid()).build())
          .withType("Warning").withReason(REASON).withMessage(why.length() > 1024 ? why.substring(0, 1024) : why)
          .withCount(1).withFirstTimestamp(now).withLastTimestamp(now)
          .withSource(new EventSource("outpost-bridge", null)).withReportingComponent("outpost-bridge")
          .build()).create();
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "events");
    } catch (KubernetesClientException e) {
      LOG.warn("Event about node {}'s pod range not written: {}", name, e.getMessage());
    }
  }

  /**
   * The lowest block of prefix {@code mask} in {@code pool} that overlaps none of {@code used} (ranges of the other
   * family are ignored), or empty if none is free.
   */
  static Optional<Cidr> lowestFree(Cidr pool, int mask, Collection<Cidr> used) {
    int bits = pool.network().length * 8;
    if (mask < pool.prefix() || mask > bits) {
      return Optional.empty();
    }
    BigInteger start = new BigInteger(1, pool.network());
    BigInteger end = start.add(BigInteger.ONE.shiftLeft(bits - pool.prefix()));
    BigInteger size = BigInteger.ONE.shiftLeft(bits - mask);
    List<BigInteger[]> spans = new ArrayList<>();
    for (Cidr range : used) {
      if (range.ipv6() == pool.ipv6()) {
        BigInteger from = new BigInteger(1, range.network());
        spans.add(new BigInteger[] {from, from.add(BigInteger.ONE.shiftLeft(bits - range.prefix()))});
      }
    }
    spans.sort(Comparator.comparing(s -> s[0]));
    BigInteger candidate = start;
    boolean moved = true;
    while (moved) {
      moved = false;
      if (candidate.add(size).compareTo(end) > 0) {
        return Optional.empty();
      }
      for (BigInteger[] span : spans) {
        if (span[0].compareTo(candidate.add(size)) < 0 && candidate.compareTo(span[1]) < 0) {
          // Past the used range, on the next block boundary (relative to the pool's start).
          BigInteger offset = span[1].subtract(start);
          BigInteger[] blocks = offset.divideAndRemainder(size);
          BigInteger next = start.add(blocks[0].add(blocks[1].signum() > 0 ? BigInteger.ONE : BigInteger.ZERO)
              .multiply(size));
          candidate = next.max(candidate.add(size));
          moved = true;
          break;
        }
      }
    }
    return Optional.of(new Cidr(bytes(candidate, pool.network().length), mask));
  }

  private static byte[] bytes(BigInteger value, int length) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[length];
    int copy = Math.min(raw.length, length);
    System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
    return out;
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
