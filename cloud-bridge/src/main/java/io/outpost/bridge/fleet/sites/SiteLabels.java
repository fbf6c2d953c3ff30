package io.outpost.bridge.fleet.sites;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.outpost.bridge.join.NodeCertificates;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Refusals;
import io.outpost.protocol.NodeReport;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each edge Node's site labels as {@link SitePlacement} decides, from its heartbeats: the site its join token
 * named (the node's record in the bridge's namespace, read from the informer cache) or its configuration claims,
 * unless an operator's label is there. Writes are JSON merge patches of only those labels and the
 * {@link SitePlacement#SOURCE} annotation, guarded by the Node's resourceVersion; a conflict or failure is counted
 * and tried again on a later heartbeat. A refused claim (spoof, invalid) is counted in
 * {@code outpost_bridge_rejected_total{reason}} and logged (once a minute per node at most) whenever the node
 * reports its facts. Also notes every heartbeat's time ({@link LastContacts}).
 */
public final class SiteLabels {
  private static final Logger LOG = LoggerFactory.getLogger(SiteLabels.class);

  private final KubernetesClient client;
  private final String siteLabel;
  private final Function<String, SitePlacement.Place> pins;
  private final Metrics metrics;
  private final Refusals refusals;
  private final LastContacts contacts;
  private final Clock clock;
  /** Per node, the resourceVersion it was last patched on (the informer may not show the patch yet). */
  private final Map<String, String> patchedAt = new ConcurrentHashMap<>();
  /** Nodes whose last label patch failed (other than a conflict): logged at WARN once until one works. */
  private final java.util.Set<String> failing = ConcurrentHashMap.newKeySet();

  public SiteLabels(KubernetesClient client, String siteLabel, Function<String, SitePlacement.Place> pins,
      Metrics metrics, LastContacts contacts, Clock clock) {
    this.client = client;
    this.siteLabel = siteLabel;
    this.pins = pins;
    this.metrics = metrics;
    this.refusals = new Refusals(metrics, LOG, System::nanoTime);
    this.contacts = contacts;
    this.clock = clock;
  }

  /**
   * The site a node's join token named, from its record {@code outpost-node-<node>} in {@code namespace} as
   * {@code configMap} (namespace, name → ConfigMap or null) has it; null if none.
   */
  public static Function<String, SitePlacement.Place> pins(BiFunction<String, String, ConfigMap> configMap,
      String namespace) {
    return node -> {
      ConfigMap record = configMap.apply(namespace, NodeCertificates.recordName(node));
      Map<String, String> data = record == null ? null : record.getData();
      String site = data == null ? null : data.get(NodeCertificates.SITE);
      return site == null || site.isEmpty() ? null : new SitePlacement.Place(site, data.get(NodeCertificates.REGION));
    };
  }

  /**
   * On a heartbeat of {@code node}: notes the contact, weighs the site claim of {@code report} (refusals counted when
   * {@code factsFresh}: the heartbeat itself carried the node's facts), writes the labels that differ, and returns the
   * Node as patched (or as given). A failed write is counted and logged, never thrown.
   */
  public Node keep(Node node, NodeReport report, boolean factsFresh) {
    String name = node.getMetadata().getName();
    contacts.heard(name, clock.instant());
    NodeReport.NodeInfo info = report.info();
    SitePlacement.Place claim = info == null || info.site() == null ? null
        : new SitePlacement.Place(info.site(), info.region());
    SitePlacement.Decision decision = SitePlacement.decide(siteLabel, node.getMetadata().getLabels(),
        node.getMetadata().getAnnotations(), pins.apply(name), claim);
    if (decision.refusal() != null && factsFresh) {
      refusals.refuse(name + " (" + decision.refusal() + ")", "Refused node " + name + "'s site: "
          + decision.refusalMessage() + " (" + decision.refusal() + ")", "outpost_bridge_rejected_total", "reason",
          decision.refusal());
    }
    String version = node.getMetadata().getResourceVersion();
    if (!decision.writes() || (version != null && version.equals(patchedAt.get(name)))) {
      return node;
    }
    return patch(node, decision);
  }

  private Node patch(Node node, SitePlacement.Decision decision) {
    String name = node.getMetadata().getName();
    Map<String, Object> metadata = new LinkedHashMap<>();
    if (node.getMetadata().getResourceVersion() != null) {
      metadata.put("resourceVersion", node.getMetadata().getResourceVersion()); // an operator's label wins a race
    }
    if (!decision.labels().isEmpty()) {
      metadata.put("labels", decision.labels());
    }
    if (decision.annotation() != null) {
      metadata.put("annotations", Map.of(SitePlacement.SOURCE, decision.annotation()));
    }
    try {
      Node patched = client.nodes().withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
          client.getKubernetesSerialization().asJson(Map.of("metadata", metadata)));
      patchedAt.put(name, Objects.requireNonNullElse(node.getMetadata().getResourceVersion(), ""));
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "nodes/labels");
      failing.remove(name);
      String before = node.getMetadata().getLabels() == null ? null : node.getMetadata().getLabels().get(siteLabel);
      if (!decision.site().equals(before) || decision.labels().containsKey(SitePlacement.ZONE)) {
        LOG.info("Node {}: site {} (from its {}), labels {}", name, decision.site(),
            decision.source().name().toLowerCase(java.util.Locale.ROOT), decision.labels());
      }
      return patched == null ? node : patched;
    } catch (KubernetesClientException e) {
      metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
      if (e.getCode() == 409) {
        LOG.debug("Node {} changed under its site labels' patch; trying again on its next heartbeat", name);
      } else if (failing.add(name)) {
        LOG.warn("Labelling node {} with its site {} failed ({}), trying again on its heartbeats (logged again once"
            + " it worked): {}", name, decision.site(), e.getCode(), e.getMessage());
      } else {
        LOG.debug("Labelling node {} with its site {} failed again ({})", name, decision.site(), e.getCode());
      }
      return node;
    }
  }

  /** A node that was deleted: its refusal log window and patch mark go. */
  public void forget(String node) {
    patchedAt.remove(node);
    failing.remove(node);
    refusals.forget(node + " (site_spoof)");
    refusals.forget(node + " (site_invalid)");
    refusals.forget(node + " (site_record_invalid)");
    contacts.forget(node);
  }
}
