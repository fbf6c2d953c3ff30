package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.NodeStatusBuilder;
import io.fabric8.kubernetes.api.model.NodeSystemInfoBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.kube.EdgeTaint;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.NodeReport;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an edge node's Node object and Lease current from its heartbeats, as a kubelet would: registers the Node
 * (with the {@link EdgeTaint}, which it puts back whenever a heartbeat finds it missing),
 * writes its status through the status subresource when it changed (or after the refresh interval), and hands
 * heartbeats to the {@link LeaseRenewer}, which renews Leases paced and only for nodes that keep sending them.
 */
final class NodeWriter {
  private static final Logger LOG = LoggerFactory.getLogger(NodeWriter.class);

  private final KubernetesClient client;
  private final BridgeConfig config;
  private final Metrics metrics;
  private final Function<String, Node> nodeCache;
  private final Clock clock;
  private final Map<String, Instant> lastStatusWrite = new ConcurrentHashMap<>();
  /** What was last written per node, without heartbeat times: the server's copy may be normalised differently. */
  private final Map<String, NodeStatus> lastWritten = new ConcurrentHashMap<>();
  private final java.util.Set<String> registered = ConcurrentHashMap.newKeySet();
  /** Per node, the resourceVersion the edge taint was last put back on (the informer may not show it yet). */
  private final Map<String, String> taintPatchedAt = new ConcurrentHashMap<>();

  private final LeaseRenewer leases;
  private final NodeFigures figures;
  /**
   * Per node, its facts as last reported (protocol §5.5: a heartbeat leaves out what did not change). Kept when a
   * Node is deleted: a node that is still alive registers again with them.
   */
  private final Map<String, NodeReport> facts = new ConcurrentHashMap<>();

  /** Further labels kept on each Node from its heartbeats (its site's). */
  private final NodeLabels labels;

  NodeWriter(KubernetesClient client, BridgeConfig config, Metrics metrics, Function<String, Node> nodeCache,
      Clock clock, LeaseRenewer leases, NodeLabels labels) {
    this.labels = labels;
    this.leases = leases;
    this.figures = new NodeFigures(metrics);
    this.client = client;
    this.config = config;
    this.metrics = metrics;
    this.nodeCache = nodeCache;
    this.clock = clock;
  }

  /** A heartbeat for a Node that exists without the edge label: the bridge never takes over a cloud node. */
  static final class NotAnEdgeNode extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotAnEdgeNode(String node) {
      super("Node " + node + " exists but is not labelled as an edge node");
    }
  }

  /**
   * Applies a heartbeat; a field it leaves out is unchanged: taken from the node's last report, or, when this bridge
   * has none (it restarted; the node sends all facts again on the bridge's announcement), left as the Node has it.
   */
  void heartbeat(NodeReport delta) {
    NodeReport report = delta.over(facts.get(delta.node()));
    facts.put(report.node(), new NodeReport(report.v(), report.node(), report.sentAt(), report.ready(),
        report.message(), report.capacity(), report.addresses(), report.info(), null, report.allocatable(),
        report.conditions()));
    Node node = nodeCache.apply(report.node());
    if (node == null) {
      node = client.nodes().withName(report.node()).get();
    }
    if (node == null) {
      node = register(report);
    } else if (!config.edgeLabelValue().equals(node.getMetadata().getLabels() == null ? null
        : node.getMetadata().getLabels().get(config.edgeLabelKey()))) {
      throw new NotAnEdgeNode(report.node());
    }
    registered.add(report.node());
    node = keepTaint(node);
    node = labels.keep(node, report, delta.info() != null);
    writeStatus(node, report);
    if (leases.heartbeat(report.node(), node.getMetadata().getUid())) {
      leases.renewNow(report.node()); // first sight: Ready at once; later renewals are paced
    }
    metrics.increment("outpost_bridge_heartbeats_total");
  }

  /** True for nodes this bridge has registered or accepted heartbeats from. */
  boolean registered(String node) {
    return registered.contains(node);
  }

  private Node register(NodeReport report) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(config.edgeLabelKey(), config.edgeLabelValue());
    labels.put("kubernetes.io/hostname", report.node());
    if (report.info() != null) {
      putIfPresent(labels, "kubernetes.io/os", report.info().operatingSystem());
      putIfPresent(labels, "kubernetes.io/arch", report.info().architecture());
    }
    Node created = client.nodes().resource(new NodeBuilder().withNewMetadata().withName(report.node())
        .withLabels(labels).endMetadata().withNewSpec()
        .withTaints(config.edgeTaint() ? List.of(EdgeTaint.taint()) : List.of()).endSpec().build()).create();
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "nodes");
    LOG.info("Registered edge node {}", report.node());
    return created;
  }

  /**
   * Puts the edge taint back on a Node that lacks it (removed, or its value changed), with a JSON patch guarded by the
   * Node's resourceVersion, and returns the patched Node (the status write must not carry a stale copy). Other
   * taints are not touched. A failed patch is counted and logged and tried again on the next heartbeat; it never
   * stops the status write or the Lease.
   */
  private Node keepTaint(Node node) {
    String name = node.getMetadata().getName();
    String version = node.getMetadata().getResourceVersion();
    if (!config.edgeTaint() || EdgeTaint.present(node)
        || (version != null && version.equals(taintPatchedAt.get(name)))) {
      return node; // present, or already put back on this version and the cache has not caught up
    }
    try {
      Node patched = client.nodes().withName(name).patch(PatchContext.of(PatchType.JSON),
          new KubernetesSerialization().asJson(EdgeTaint.patch(node)));
      taintPatchedAt.put(name, version == null ? "" : version);
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "nodes/taints");
      metrics.increment("outpost_bridge_edge_taint_restored_total");
      LOG.warn("Edge node {} was missing its {}={}:{} taint (removed or changed by someone): put it back; pods "
          + "reach edge nodes only by tolerating it", name, EdgeTaint.KEY, EdgeTaint.VALUE, EdgeTaint.EFFECT);
      return patched == null ? node : patched;
    } catch (KubernetesClientException e) {
      metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
      LOG.warn("Putting the edge taint back on node {} failed ({}), trying again on its next heartbeat: {}", name,
          e.getCode(), e.getMessage());
      return node;
    }
  }

  private static void putIfPresent(Map<String, String> map, String key, String value) {
    if (value != null && !value.isBlank()) {
      map.put(key, value);
    }
  }

  private void writeStatus(Node node, NodeReport report) {
    String name = node.getMetadata().getName();
    Instant now = clock.instant();
    NodeStatus previous = node.getStatus();
    NodeStatus wanted = status(report, previous, now);
    Instant last = lastStatusWrite.get(name);
    boolean due = last == null || now.isAfter(last.plus(config.nodeStatusRefresh()));
    NodeStatus comparable = withoutHeartbeat(wanted);
    // The node controller may have changed Ready (to Unknown) since: the server's value counts too.
    boolean serverAgrees = readyStatus(previous).equals(readyStatus(wanted));
    if (!due && serverAgrees && comparable.equals(lastWritten.get(name))) {
      return;
    }
    try {
      client.nodes().resource(new NodeBuilder(node).withStatus(wanted).build()).updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      client.nodes().withName(name).editStatus(n -> new NodeBuilder(n).withStatus(wanted).build());
    }
    lastStatusWrite.put(name, now);
    lastWritten.put(name, comparable);
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "nodes/status");
  }

  /** Where the API server finds the kubelet API of edge nodes (the bridge), or null if it is not served. */
  private volatile String kubeletAddress;
  /** {@code InternalIP} for an IP address, {@code InternalDNS} for a name (a load balancer's, say). */
  private volatile String kubeletAddressType;
  private volatile int kubeletPort;
  /** Each edge Node's own name under this domain is published as {@code ExternalDNS} (null: none). */
  private volatile String kubeletNodeDomain;

  /**
   * Every edge Node from now on leads the API server to the bridge for logs/exec/port-forward: {@code address} (an IP
   * address if {@code ip}, else a DNS name) and {@code port}, as the operator configured them.
   */
  void kubeletEndpoint(String address, boolean ip, int port) {
    kubeletEndpoint(address, ip, port, null);
  }

  /**
   * As above; with a {@code nodeDomain}, every edge Node also publishes {@code <node>.<nodeDomain>} as
   * {@code ExternalDNS}: the API server keeps its default preference (the bridge's address comes first), and
   * metrics-server, told to prefer {@code ExternalDNS}, scrapes each node at a name that says which node it means.
   */
  void kubeletEndpoint(String address, boolean ip, int port, String nodeDomain) {
    this.kubeletNodeDomain = nodeDomain;
    this.kubeletAddressType = ip ? "InternalIP" : "InternalDNS";
    this.kubeletAddress = address;
    this.kubeletPort = port;
  }

  private NodeStatus status(NodeReport report, NodeStatus previous, Instant now) {
    String ready = report.ready() ? "True" : "False";
    String since = previous == null || previous.getConditions() == null ? null : previous.getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()) && ready.equals(c.getStatus()))
        .map(NodeCondition::getLastTransitionTime).filter(Objects::nonNull).findFirst().orElse(null);
    String nowText = now.truncatedTo(ChronoUnit.SECONDS).toString();
    NodeCondition condition = new NodeConditionBuilder().withType("Ready").withStatus(ready)
        .withReason(report.ready() ? "OutpostEdgeReady" : "OutpostEdgeNotReady").withMessage(report.message())
        .withLastHeartbeatTime(nowText).withLastTransitionTime(since != null ? since : nowText).build();
    NodeFigures.Figures figures = this.figures.check(report, previous, nowText);
    List<NodeCondition> conditions = new java.util.ArrayList<>(figures.pressure());
    conditions.add(condition); // Ready last, as the kubelet orders them
    NodeStatusBuilder status = new NodeStatusBuilder().withConditions(conditions)
        .withCapacity(figures.capacity()).withAllocatable(figures.allocatable());
    String bridge = kubeletAddress;
    List<NodeAddress> addresses = new java.util.ArrayList<>();
    if (bridge != null) {
      // The API server reaches a kubelet at the Node's first Hostname/InternalDNS/InternalIP address (its default
      // preference): that must be the bridge. The node's own IP addresses stay visible as ExternalIP, the last
      // preference; names it reports (Hostname, DNS) are left out — they would come before the bridge.
      addresses.add(new NodeAddress(bridge, kubeletAddressType));
      String domain = kubeletNodeDomain;
      if (domain != null) {
        addresses.add(new NodeAddress(report.node() + "." + domain, "ExternalDNS"));
      }
      status.withNewDaemonEndpoints().withNewKubeletEndpoint().withPort(kubeletPort).endKubeletEndpoint()
          .endDaemonEndpoints();
    }
    if (report.addresses() != null) {
      report.addresses().stream().filter(a -> bridge == null || "InternalIP".equals(a.type())
          || "ExternalIP".equals(a.type()))
          .map(a -> new NodeAddress(a.address(), bridge == null || !"InternalIP".equals(a.type()) ? a.type()
              : "ExternalIP")).forEach(addresses::add);
    }
    if (report.addresses() == null && previous != null && previous.getAddresses() != null) {
      // Unchanged and not known here (this bridge restarted): the node's own addresses as the Node shows them.
      previous.getAddresses().stream().filter(a -> bridge == null || "ExternalIP".equals(a.getType()))
          .forEach(addresses::add);
    }
    if (!addresses.isEmpty() || report.addresses() != null) {
      status.withAddresses(addresses);
    }
    NodeReport.NodeInfo info = report.info();
    if (info == null && previous != null && previous.getNodeInfo() != null) {
      status.withNodeInfo(previous.getNodeInfo()); // unchanged, not known here: as the Node shows it
    } else if (info != null) {
      status.withNodeInfo(new NodeSystemInfoBuilder().withMachineID(info.machineId()).withBootID(info.bootId())
          .withKernelVersion(info.kernelVersion()).withOsImage(info.osImage())
          .withOperatingSystem(info.operatingSystem()).withArchitecture(info.architecture())
          .withContainerRuntimeVersion(info.containerRuntimeVersion()).withKubeletVersion(info.agentVersion())
          .withKubeProxyVersion("").withSystemUUID(info.machineId()).build());
    }
    return status.build();
  }

  private static String readyStatus(NodeStatus status) {
    if (status == null || status.getConditions() == null) {
      return "";
    }
    return status.getConditions().stream().filter(c -> "Ready".equals(c.getType())).map(NodeCondition::getStatus)
        .filter(Objects::nonNull).findFirst().orElse("");
  }

  private static NodeStatus withoutHeartbeat(NodeStatus status) {
    if (status == null) {
      return new NodeStatus();
    }
    List<NodeCondition> conditions = status.getConditions() == null ? List.of() : status.getConditions().stream()
        .map(c -> new NodeConditionBuilder(c).withLastHeartbeatTime(null).build()).toList();
    return new NodeStatusBuilder(status).withConditions(conditions).build();
  }
}
