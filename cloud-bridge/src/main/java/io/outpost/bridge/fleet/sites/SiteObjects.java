package io.outpost.bridge.fleet.sites;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.outpost.bridge.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-scoped {@code Site} objects ({@code sites.outpost.io}, {@code deploy/kubernetes/07-site-crds.yaml}),
 * one per site, written by the active bridge from the {@link SiteSummary summaries}: created for a new site, their
 * status (through the status subresource, a JSON merge patch) written only when it differs from what was last
 * written — {@code lastContact} is kept at minute granularity and conditions change only on a transition, so a
 * steady site costs no write however often its nodes send heartbeats — and deleted once a site has had no Node for
 * two passes in a row (its last Node object was deleted: the site was decommissioned; a cut-off site keeps its Nodes,
 * so its Site stays and says so). Only objects labelled {@link #MANAGED} are ever deleted. What was written is read
 * back from a listing at the first pass and every {@link #RELIST_PASSES} passes, so a failover or an operator's
 * deletion costs at most one write per site. Not thread-safe: one thread (the sites executor) calls {@link #sync}.
 */
public final class SiteObjects {
  private static final Logger LOG = LoggerFactory.getLogger(SiteObjects.class);
  public static final ResourceDefinitionContext SITES = new ResourceDefinitionContext.Builder()
      .withGroup("outpost.io").withVersion("v1alpha1").withKind("Site").withPlural("sites").withNamespaced(false)
      .build();
  /** The label that marks the Site objects the bridge manages (and may delete). */
  public static final String MANAGED = "app.kubernetes.io/managed-by";
  public static final String MANAGER = "outpost-bridge";
  /** The label with the site's own name on its Site (object names are DNS-1123; site names may hold '_' or capitals). */
  public static final String SITE_LABEL = "outpost.io/site";
  static final int RELIST_PASSES = 30;

  private final KubernetesClient client;
  private final Metrics metrics;
  private final Duration reachable;
  /** Per Site object name, its status as last written (or listed). */
  private final Map<String, Map<String, Object>> written = new HashMap<>();
  /** Site objects found without a site in the last pass. */
  private final Set<String> empty = new HashSet<>();
  private int passes;
  private boolean unavailable;

  /** {@code reachable}: a site is Reachable while one of its nodes was heard from within it (a node Lease's time). */
  public SiteObjects(KubernetesClient client, Metrics metrics, Duration reachable) {
    this.client = client;
    this.metrics = metrics;
    this.reachable = reachable;
  }

  /** The Site object's name for a site: the site's name if it is a DNS-1123 subdomain, else a safe form with a hash. */
  public static String objectName(String site) {
    if (site.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
      return site;
    }
    String safe = site.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-").replaceAll("^[^a-z0-9]+|[^a-z0-9]+$",
        "");
    try {
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(site.getBytes(StandardCharsets.UTF_8))).substring(0, 8);
      return (safe.isEmpty() ? "site" : safe) + "-" + hash;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Brings the Site objects in line with {@code summaries} at {@code now}; a failure is counted, logged, retried. */
  public void sync(Map<String, SiteSummary> summaries, Instant now) {
    try {
      if (passes++ % RELIST_PASSES == 0) {
        relist();
      }
      Set<String> current = new HashSet<>();
      for (SiteSummary summary : summaries.values()) {
        String name = objectName(summary.site());
        current.add(name);
        write(name, summary, now);
      }
      for (String name : new ArrayList<>(written.keySet())) {
        if (current.contains(name)) {
          continue;
        }
        if (empty.add(name)) {
          continue; // gone for one pass: a Node re-registering, perhaps; deleted if still gone at the next
        }
        client.genericKubernetesResources(SITES).withName(name).delete();
        metrics.increment("outpost_bridge_kube_writes_total", "resource", "sites");
        written.remove(name);
        LOG.info("Site {} has no edge Node any more: deleted its Site object", name);
      }
      empty.retainAll(written.keySet());
      empty.removeAll(current);
      if (unavailable) {
        unavailable = false;
        LOG.info("Site objects are written again");
      }
    } catch (KubernetesClientException e) {
      metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
      passes = 0; // read back at the next pass: what was written is uncertain now
      if (!unavailable) {
        unavailable = true;
        LOG.warn("Cannot write Site objects ({}): {}{}; trying again every pass, metrics and labels are unaffected",
            e.getCode(), e.getMessage(), e.getCode() == 404 ? " — is deploy/kubernetes/07-site-crds.yaml applied?"
                : "");
      }
    }
  }

  private void relist() {
    written.clear();
    for (GenericKubernetesResource site : client.genericKubernetesResources(SITES).withLabel(MANAGED, MANAGER)
        .list().getItems()) {
      Object status = site.getAdditionalProperties().get("status");
      @SuppressWarnings("unchecked")
      Map<String, Object> map = status instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
      written.put(site.getMetadata().getName(), map);
    }
  }

  private void write(String name, SiteSummary summary, Instant now) {
    Map<String, Object> before = written.get(name);
    Map<String, Object> status = status(summary, before, now);
    if (status.equals(before)) {
      return;
    }
    if (before == null) {
      create(name, summary.site());
    }
    client.genericKubernetesResources(SITES).withName(name).subresource("status").patch(
        PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(Map.of("status", status)));
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "sites/status");
    written.put(name, status);
  }

  private void create(String name, String site) {
    try {
      client.genericKubernetesResources(SITES).resource(new GenericKubernetesResourceBuilder()
          .withApiVersion("outpost.io/v1alpha1").withKind("Site").withNewMetadata().withName(name)
          .addToLabels(MANAGED, MANAGER).addToLabels(SITE_LABEL, site).endMetadata().build()).create();
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "sites");
      LOG.info("Site {}: created its Site object {}", site, name);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) { // there already (made by the operator, or before a failover): its status is written
        throw e;
      }
    }
  }

  /** The status for {@code summary}, each condition's transition time kept from {@code before} while it holds. */
  Map<String, Object> status(SiteSummary summary, Map<String, Object> before, Instant now) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("site", summary.site());
    if (summary.region() != null) {
      status.put("region", summary.region());
    }
    status.put("nodesReady", summary.nodesReady());
    status.put("nodesTotal", summary.nodesTotal());
    status.put("pods", summary.pods());
    if (summary.lastContact() != null) {
      status.put("lastContact", summary.lastContact().truncatedTo(ChronoUnit.MINUTES).toString());
    }
    boolean inContact = summary.lastContact() != null && !summary.lastContact().plus(reachable).isBefore(now);
    List<Map<String, Object>> conditions = new ArrayList<>();
    conditions.add(condition(before, "Reachable", inContact, inContact ? "NodesInContact" : "NoContact",
        inContact ? "a node of the site was heard from within " + reachable.toSeconds() + " s"
            : summary.lastContact() == null ? "no node of the site was ever heard from"
            : "no node of the site heard from since " + summary.lastContact().truncatedTo(ChronoUnit.MINUTES),
        now));
    boolean allReady = summary.nodesReady() == summary.nodesTotal();
    conditions.add(condition(before, "NodesReady", allReady, allReady ? "AllNodesReady" : "NodesNotReady",
        summary.nodesReady() + " of " + summary.nodesTotal() + " nodes Ready", now));
    status.put("conditions", conditions);
    return status;
  }

  private static Map<String, Object> condition(Map<String, Object> before, String type, boolean holds, String reason,
      String message, Instant now) {
    String value = holds ? "True" : "False";
    String since = now.truncatedTo(ChronoUnit.SECONDS).toString();
    if (before != null && before.get("conditions") instanceof List<?> old) {
      for (Object item : old) {
        if (item instanceof Map<?, ?> c && type.equals(c.get("type")) && value.equals(c.get("status"))
            && c.get("lastTransitionTime") instanceof String at) {
          since = at;
        }
      }
    }
    Map<String, Object> condition = new LinkedHashMap<>();
    condition.put("type", type);
    condition.put("status", value);
    condition.put("reason", reason);
    condition.put("message", message);
    condition.put("lastTransitionTime", since);
    return condition;
  }
}
