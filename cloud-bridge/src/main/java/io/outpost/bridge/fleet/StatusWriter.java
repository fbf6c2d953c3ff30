package io.outpost.bridge.fleet;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.bridge.metrics.Metrics;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A SiteWorkload's status: per site its copy's name, state and replicas (desired, ready, updated) with the copy's
 * observedGeneration; the number of selected and rolled-out sites; the conditions {@code SpecValid} and
 * {@code RolledOut} (lastTransitionTime kept while a condition's status stays). Written through the status
 * subresource, guarded by the resourceVersion of the cached object, and only when it differs from the status the
 * cache shows and from the one this replica wrote last — a reconcile that changes nothing writes nothing.
 */
final class StatusWriter {
  static final String PROGRESSING = "Progressing";
  static final String ROLLED_OUT = "RolledOut";
  static final String CONFLICT = "Conflict";
  static final String NO_NODES = "NoNodes";

  /** One selected site: its copy as last seen (null if none: no nodes yet, or a conflict) and its state if known. */
  record SiteState(String site, String copyName, HasMetadata copy, String state) {}

  private record Written(String uid, Object status) {}

  private final KubernetesClient client;
  private final Metrics metrics;
  private final Clock clock;
  private final Map<String, Written> lastWritten = new ConcurrentHashMap<>();

  StatusWriter(KubernetesClient client, Metrics metrics, Clock clock) {
    this.client = client;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Writes the status for {@code sites}, with {@code problem} (reason, message) if the spec is invalid. */
  void write(GenericKubernetesResource owner, SiteWorkloadSpec.Invalid problem, List<SiteState> sites) {
    Object current = owner.getAdditionalProperties().get("status");
    String key = owner.getMetadata().getNamespace() + "/" + owner.getMetadata().getName();
    Written last = lastWritten.get(key);
    // Only this controller writes the status: what it wrote last is newer than, or equal to, what the cache shows.
    Object newest = last != null && last.uid().equals(owner.getMetadata().getUid()) ? last.status() : current;
    Map<String, Object> computed = status(owner, problem, sites, newest);
    // As the cache would show it (numbers as JSON reads them), so that equal means equal.
    Object status = client.getKubernetesSerialization().unmarshal(client.getKubernetesSerialization()
        .asJson(computed), Map.class);
    if (status.equals(current) || status.equals(newest)) {
      return;
    }
    GenericKubernetesResource updated = client.getKubernetesSerialization().clone(owner);
    updated.setAdditionalProperty("status", status);
    client.genericKubernetesResources(SiteWorkloads.CONTEXT).inNamespace(owner.getMetadata().getNamespace())
        .resource(updated).updateStatus();
    lastWritten.put(key, new Written(owner.getMetadata().getUid(), status));
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "siteworkloads/status");
  }

  void forget(String key) {
    lastWritten.remove(key);
  }

  private Map<String, Object> status(GenericKubernetesResource owner, SiteWorkloadSpec.Invalid problem,
      List<SiteState> sites, Object current) {
    Long generation = owner.getMetadata().getGeneration();
    List<Map<String, Object>> entries = new ArrayList<>();
    int ready = 0;
    List<String> waiting = new ArrayList<>();
    List<String> conflicts = new ArrayList<>();
    for (SiteState site : sites) {
      Map<String, Object> entry = site(site);
      entries.add(entry);
      String state = (String) entry.get("state");
      if (ROLLED_OUT.equals(state)) {
        ready++;
      } else if (CONFLICT.equals(state)) {
        conflicts.add(site.site());
      } else if (PROGRESSING.equals(state)) {
        waiting.add(site.site());
      }
    }
    List<Map<String, Object>> conditions = new ArrayList<>();
    conditions.add(problem == null ? condition("SpecValid", "True", "Valid", "the spec can be stamped", generation)
        : condition("SpecValid", "False", problem.reason(), problem.getMessage(), generation));
    if (!conflicts.isEmpty()) {
      conditions.add(condition(ROLLED_OUT, "False", CONFLICT, "an object of the copy's name that this SiteWorkload"
          + " does not control exists in sites " + conflicts, generation));
    } else if (!waiting.isEmpty()) {
      conditions.add(condition(ROLLED_OUT, "False", PROGRESSING, "not rolled out yet in sites " + waiting,
          generation));
    } else {
      conditions.add(condition(ROLLED_OUT, "True", "AllSitesRolledOut", ready + " sites rolled out", generation));
    }
    keepTransitionTimes(conditions, current);
    Map<String, Object> status = new LinkedHashMap<>();
    if (generation != null) {
      status.put("observedGeneration", generation);
    }
    status.put("selectedSites", sites.size());
    status.put("readySites", ready);
    status.put("conditions", conditions);
    status.put("sites", entries);
    return status;
  }

  private static Map<String, Object> site(SiteState site) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("site", site.site());
    if (site.copyName() != null) {
      entry.put("copy", site.copyName());
    }
    if (site.copy() == null) {
      entry.put("state", site.state() != null ? site.state() : PROGRESSING);
      return entry;
    }
    long generation = site.copy().getMetadata().getGeneration() == null ? 0
        : site.copy().getMetadata().getGeneration();
    Long observed;
    int desired;
    int readyReplicas;
    int updated;
    if (site.copy() instanceof Deployment deployment) {
      DeploymentStatus status = deployment.getStatus();
      desired = deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
      observed = status == null ? null : status.getObservedGeneration();
      readyReplicas = status == null || status.getReadyReplicas() == null ? 0 : status.getReadyReplicas();
      updated = status == null || status.getUpdatedReplicas() == null ? 0 : status.getUpdatedReplicas();
    } else {
      DaemonSetStatus status = ((DaemonSet) site.copy()).getStatus();
      observed = status == null ? null : status.getObservedGeneration();
      desired = status == null || status.getDesiredNumberScheduled() == null ? 0 : status.getDesiredNumberScheduled();
      readyReplicas = status == null || status.getNumberReady() == null ? 0 : status.getNumberReady();
      updated = status == null || status.getUpdatedNumberScheduled() == null ? 0
          : status.getUpdatedNumberScheduled();
    }
    boolean rolledOut = observed != null && observed >= generation && updated == desired && readyReplicas == desired;
    entry.put("state", site.state() != null ? site.state() : rolledOut ? ROLLED_OUT : PROGRESSING);
    entry.put("desiredReplicas", desired);
    entry.put("readyReplicas", readyReplicas);
    entry.put("updatedReplicas", updated);
    if (observed != null) {
      entry.put("observedGeneration", observed);
    }
    return entry;
  }

  private Map<String, Object> condition(String type, String status, String reason, String message, Long generation) {
    Map<String, Object> condition = new LinkedHashMap<>();
    condition.put("type", type);
    condition.put("status", status);
    condition.put("reason", reason);
    condition.put("message", message.length() > 1024 ? message.substring(0, 1024) : message);
    condition.put("lastTransitionTime", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    if (generation != null) {
      condition.put("observedGeneration", generation);
    }
    return condition;
  }

  /** A condition whose status did not change keeps the time it last changed. */
  private static void keepTransitionTimes(List<Map<String, Object>> conditions, Object current) {
    if (!(current instanceof Map<?, ?> status) || !(status.get("conditions") instanceof List<?> before)) {
      return;
    }
    for (Map<String, Object> condition : conditions) {
      for (Object old : before) {
        if (old instanceof Map<?, ?> previous && Objects.equals(previous.get("type"), condition.get("type"))
            && Objects.equals(previous.get("status"), condition.get("status"))
            && previous.get("lastTransitionTime") != null) {
          condition.put("lastTransitionTime", previous.get("lastTransitionTime"));
        }
      }
    }
  }
}
