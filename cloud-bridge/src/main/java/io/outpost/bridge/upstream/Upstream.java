package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.bridge.kube.Devices;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Refusals;
import io.outpost.protocol.Codec;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks and dispatches every upstream message. The node named by the topic is the sender's identity (a broker ACL
 * confines each node to its own subtree); a message naming another node, a pod not bound to the sender, or bad input
 * is rejected, logged and counted by reason, and never written to Kubernetes. A report about a pod that was
 * deleted recently while bound to the sender is normal (the node had not seen the deletion yet, or its outbox
 * delivered late): it is counted apart ({@code outpost_bridge_late_reports_total{channel}}) and logged at debug, not
 * rejected. Runs on the upstream executor.
 */
final class Upstream {
  private static final Logger LOG = LoggerFactory.getLogger(Upstream.class);

  private final Codec codec;
  private final Metrics metrics;
  private final BiFunction<String, String, Pod> podCache;
  private final Predicate<String> edgeNodes;
  private final NodeWriter nodes;
  private final PodStatusWriter statuses;
  private final EventWriter events;
  private final Consumer<ResyncRequest> resyncs;
  private final BiFunction<String, String, GenericKubernetesResource> deviceCache;
  private final Consumer<DeviceStatusReport> deviceStatuses;
  private final DeletedPods deleted;
  /** Services by namespace and name (events about a Service a node cannot program). */
  private final BiFunction<String, String, Service> serviceCache;
  private final NodeHostIPs hostIPs = new NodeHostIPs();
  /** Every rejection is counted; a node that keeps sending bad input is logged once a minute per reason. */
  private final Refusals refusals;

  Upstream(Codec codec, Metrics metrics, BiFunction<String, String, Pod> podCache, Predicate<String> edgeNodes,
      NodeWriter nodes, PodStatusWriter statuses, EventWriter events, Consumer<ResyncRequest> resyncs,
      BiFunction<String, String, GenericKubernetesResource> deviceCache, Consumer<DeviceStatusReport> deviceStatuses,
      DeletedPods deleted) {
    this(codec, metrics, podCache, edgeNodes, nodes, statuses, events, resyncs, deviceCache, deviceStatuses, deleted,
        (namespace, name) -> null);
  }

  Upstream(Codec codec, Metrics metrics, BiFunction<String, String, Pod> podCache, Predicate<String> edgeNodes,
      NodeWriter nodes, PodStatusWriter statuses, EventWriter events, Consumer<ResyncRequest> resyncs,
      BiFunction<String, String, GenericKubernetesResource> deviceCache, Consumer<DeviceStatusReport> deviceStatuses,
      DeletedPods deleted, BiFunction<String, String, Service> serviceCache) {
    this.serviceCache = serviceCache;
    this.codec = codec;
    this.metrics = metrics;
    this.podCache = podCache;
    this.edgeNodes = edgeNodes;
    this.nodes = nodes;
    this.statuses = statuses;
    this.events = events;
    this.resyncs = resyncs;
    this.deviceCache = deviceCache;
    this.deviceStatuses = deviceStatuses;
    this.deleted = deleted;
    this.refusals = new Refusals(metrics, LOG, System::nanoTime);
  }

  /**
   * One heartbeat of a node in place of its {@code waiting} one and a {@code newer} one: the newer with the facts it
   * leaves out (unchanged) taken from the waiting one. A newer one that does not decode stays as it is (it is
   * refused, counted and logged when handled); a waiting one that does not decode adds nothing and is refused,
   * counted and logged here.
   */
  byte[] coalesceHeartbeats(byte[] waiting, byte[] newer) {
    try {
      return coalesce(codec, waiting, newer);
    } catch (Unmergeable e) {
      reject(e.reason, e.topic, e.getMessage());
      return newer;
    }
  }

  /** A waiting heartbeat that cannot be merged with a newer one (it does not decode, or the merge is too large). */
  static final class Unmergeable extends Exception {
    private static final long serialVersionUID = 1L;
    final String reason;
    final String topic;

    Unmergeable(String reason, String topic, String message) {
      super(message);
      this.reason = reason;
      this.topic = topic;
    }
  }

  /** {@link #coalesceHeartbeats} without the counting: the newer heartbeat with the facts it leaves out. */
  static byte[] coalesce(Codec codec, byte[] waiting, byte[] newer) throws Unmergeable {
    NodeReport latest;
    try {
      latest = codec.decode(newer, NodeReport.class);
    } catch (ProtocolException e) {
      return newer; // refused, counted and logged when handled
    }
    String topic = Topics.up(latest.node(), Topics.Up.NODE);
    NodeReport merged;
    try {
      merged = latest.over(codec.decode(waiting, NodeReport.class));
    } catch (ProtocolException e) {
      throw new Unmergeable(e.reason().label(), topic, "waiting heartbeat: " + e.getMessage());
    }
    try {
      return merged == latest ? newer : codec.encode(merged);
    } catch (IllegalArgumentException e) {
      throw new Unmergeable(ProtocolException.Reason.OVERSIZED.label(), topic, "coalesced heartbeat: "
          + e.getMessage());
    }
  }

  void handle(String topic, byte[] payload) {
    try {
      Topics.UpTopic address = Topics.parseUp(topic).orElseThrow(() ->
          new ProtocolException(ProtocolException.Reason.UNKNOWN_TOPIC, "not an upstream topic: " + topic));
      metrics.increment("outpost_bridge_messages_in_total", "channel", address.channel().segment());
      switch (address.channel()) {
        case NODE -> {
          NodeReport report = codec.decode(payload, NodeReport.class);
          requireSender(address, report.node());
          nodes.heartbeat(report);
          hostIPs.heartbeat(report);
          metrics.edge(report.node(), report.metrics());
        }
        case STATUS -> {
          requireEdge(address);
          status(address, codec.decode(payload, PodStatusReport.class));
        }
        case EVENT -> {
          requireEdge(address);
          EventReport event = codec.decode(payload, EventReport.class);
          requireSender(address, event.node());
          if (Downstream.KIND_SERVICE.equals(event.ref().kind())) {
            events.write(event, service(event));
          } else {
            events.write(event, boundPod(address, event.ref()));
          }
        }
        case RESYNC -> {
          requireEdge(address);
          ResyncRequest request = codec.decode(payload, ResyncRequest.class);
          requireSender(address, request.node());
          resyncs.accept(request);
        }
        case DEVICE -> {
          requireEdge(address);
          DeviceStatusReport report = codec.decode(payload, DeviceStatusReport.class);
          requireSender(address, report.node());
          boundDevice(address, report.ref());
          deviceStatuses.accept(report);
        }
        default -> throw new IllegalStateException("unhandled channel " + address.channel());
      }
    } catch (ProtocolException e) {
      reject(e.reason().label(), topic, e.getMessage());
    } catch (LateReport e) {
      metrics.increment("outpost_bridge_late_reports_total", "channel", e.channel);
      LOG.debug("Late report on {} ignored: {}", topic, e.getMessage());
    } catch (Rejected e) {
      reject(e.reason, topic, e.getMessage());
    } catch (NodeWriter.NotAnEdgeNode e) {
      reject("not_edge_node", topic, e.getMessage());
    } catch (KubernetesClientException e) {
      metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
      LOG.warn("Kubernetes refused the write for {}: {} {}", topic, e.getCode(), e.getMessage());
    } catch (RuntimeException e) {
      // Content the decoder accepted but that cannot be applied (e.g. a null where a value is needed).
      reject("invalid", topic, e.toString());
    }
  }

  private void requireEdge(Topics.UpTopic address) throws Rejected {
    if (!edgeNodes.test(address.node())) {
      throw new Rejected("not_edge_node", address.node() + " is not a registered edge node");
    }
  }

  private void status(Topics.UpTopic address, PodStatusReport report) throws ProtocolException, Rejected,
      LateReport {
    requireSender(address, report.node());
    statuses.write(report, boundPod(address, report.ref()), hostIPs.of(address.node()));
  }

  /**
   * The pod the message is about, from the cache, if it exists with that uid and is bound to the sender; a late
   * report if it was deleted recently while bound to the sender.
   */
  private Pod boundPod(Topics.UpTopic address, ObjectRef ref) throws Rejected, LateReport {
    if (!Downstream.KIND_POD.equals(ref.kind())) {
      throw new Rejected("invalid", "only pods and Services are reported on, not " + ref.kind());
    }
    Pod pod = podCache.apply(ref.namespace(), ref.name());
    if ((pod == null || !ref.uid().equals(pod.getMetadata().getUid())) && deleted.wasOn(ref.uid(), address.node())) {
      throw new LateReport(address.channel().segment(), "pod " + ref.key() + " with uid " + ref.uid()
          + " was deleted");
    }
    if (pod == null || !ref.uid().equals(pod.getMetadata().getUid())) {
      throw new Rejected("unknown_pod", "no pod " + ref.key() + " with uid " + ref.uid());
    }
    if (!address.node().equals(pod.getSpec().getNodeName())) {
      throw new Rejected("not_bound_to_node", "pod " + ref.key() + " is bound to "
          + pod.getSpec().getNodeName() + ", not to " + address.node());
    }
    return pod;
  }

  /**
   * The Service an event is about: it must exist with that uid (every node that applies Services is sent them all);
   * an event about a Service names no container.
   */
  private Service service(EventReport event) throws Rejected {
    ObjectRef ref = event.ref();
    if (ref.namespace() == null || ref.namespace().isEmpty()) {
      throw new Rejected("invalid", "a Service is namespaced: " + ref.key() + " names no namespace");
    }
    if (event.fieldPath() != null) {
      throw new Rejected("invalid", "an event about Service " + ref.key() + " names a container (" + event.fieldPath()
          + ")");
    }
    Service service = serviceCache.apply(ref.namespace(), ref.name());
    if (service == null || !ref.uid().equals(service.getMetadata().getUid())) {
      throw new Rejected("unknown_service", "no Service " + ref.namespace() + "/" + ref.name() + " with uid "
          + ref.uid());
    }
    return service;
  }

  /** The Device a report is about must exist with that uid and be bound to the sender. */
  private void boundDevice(Topics.UpTopic address, ObjectRef ref) throws Rejected {
    GenericKubernetesResource device = deviceCache.apply(ref.namespace(), ref.name());
    if (device == null || !ref.uid().equals(device.getMetadata().getUid())) {
      throw new Rejected("unknown_device", "no Device " + ref.key() + " with uid " + ref.uid());
    }
    String boundTo = Devices.nodeName(device);
    if (!address.node().equals(boundTo)) {
      throw new Rejected("not_bound_to_node", "Device " + ref.key() + " is bound to '" + boundTo + "', not to "
          + address.node());
    }
  }

  private static void requireSender(Topics.UpTopic address, String claimed) throws ProtocolException {
    if (!address.node().equals(claimed)) {
      throw new ProtocolException(ProtocolException.Reason.WRONG_NODE,
          "message from " + address.node() + "'s topic claims to be from " + claimed);
    }
  }

  private void reject(String reason, String topic, String message) {
    String label = reason.toLowerCase(Locale.ROOT);
    String node = Topics.parseUp(topic).map(Topics.UpTopic::node).orElse("?");
    refusals.refuse(node + " (" + label + ")", "Rejected upstream message on " + topic + ": " + message,
        "outpost_bridge_rejected_total", "reason", label);
  }

  /** A report about a pod of the sender that was deleted meanwhile: normal, nothing to write. */
  static final class LateReport extends Exception {
    private static final long serialVersionUID = 1L;
    private final String channel;

    LateReport(String channel, String message) {
      super(message);
      this.channel = channel;
    }
  }

  /** A well-formed message that the sender may not send. */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    Rejected(String reason, String message) {
      super(reason + ": " + message);
      this.reason = reason;
    }
  }
}
