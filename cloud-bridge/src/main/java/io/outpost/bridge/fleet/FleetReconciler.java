package io.outpost.bridge.fleet;

import io.outpost.bridge.flow.WorkQueue;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.outpost.bridge.fleet.CopyStamper.Stamp;
import io.outpost.bridge.fleet.SiteWorkloadSpec.Invalid;
import io.outpost.bridge.fleet.StatusWriter.SiteState;
import io.outpost.bridge.metrics.Metrics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles one SiteWorkload, by key, from the caches: level-based (what exists is compared with what should,
 * whatever events led here) and idempotent (a copy whose stamp digest matches, and a status equal to the one
 * computed, cost no write). Steps: copies of a SiteWorkload that is gone, or of an earlier one of the same name (other
 * uid), are deleted (the garbage collector would, on a real cluster; the controller does not rely on it); an invalid
 * spec is reported (condition, Warning Event, metric) and the copies are left as they are; otherwise every selected
 * site with edge nodes gets its copy created or updated, every other copy is deleted, and the status is written.
 * Only the active replica writes anything.
 */
final class FleetReconciler implements WorkQueue.Work {
  private static final Logger LOG = LoggerFactory.getLogger(FleetReconciler.class);

  private final KubernetesClient client;
  private final Function<String, GenericKubernetesResource> workload;
  private final Function<String, List<HasMetadata>> copiesOf;
  private final Supplier<? extends Collection<Node>> nodes;
  private final BooleanSupplier active;
  private final SpecParser parser;
  private final SiteSelection selection;
  private final CopyStamper stamper;
  private final StatusWriter status;
  private final FleetEvents events;
  private final Metrics metrics;

  /**
   * {@code workload}: a SiteWorkload by key from the cache; {@code copiesOf}: the Deployments and DaemonSets whose
   * controller reference names that key; {@code nodes}: the edge Nodes.
   */
  FleetReconciler(KubernetesClient client, Function<String, GenericKubernetesResource> workload,
      Function<String, List<HasMetadata>> copiesOf, Supplier<? extends Collection<Node>> nodes,
      BooleanSupplier active, Placement placement, StatusWriter status, FleetEvents events, Metrics metrics) {
    this.client = client;
    this.workload = workload;
    this.copiesOf = copiesOf;
    this.nodes = nodes;
    this.active = active;
    this.parser = new SpecParser(client.getKubernetesSerialization());
    this.selection = new SiteSelection(placement.siteLabel());
    this.stamper = new CopyStamper(client.getKubernetesSerialization(), placement);
    this.status = status;
    this.events = events;
    this.metrics = metrics;
  }

  @Override
  public void run(String key) {
    if (!active.getAsBoolean()) {
      return; // a standby: the active replica reconciles; this one catches up when it becomes active
    }
    GenericKubernetesResource owner = workload.apply(key);
    List<HasMetadata> copies = new ArrayList<>(copiesOf.apply(key));
    String uid = owner == null ? null : owner.getMetadata().getUid();
    for (HasMetadata copy : List.copyOf(copies)) {
      if (uid == null || !SiteWorkloads.controller(copy).map(r -> uid.equals(r.getUid())).orElse(false)) {
        delete(copy, owner == null ? "its SiteWorkload " + key + " is gone" : "it belongs to an earlier " + key);
        copies.remove(copy);
      }
    }
    if (owner == null) {
      status.forget(key);
      events.forget(key);
      return;
    }
    if (owner.getMetadata().getDeletionTimestamp() != null) {
      return; // being deleted: the garbage collector removes the copies (and the controller, once it is gone)
    }
    SiteWorkloadSpec spec;
    try {
      spec = parser.parse(owner.getAdditionalProperties().get("spec"));
    } catch (Invalid problem) {
      events.invalid(owner, problem.reason(), problem.getMessage());
      status.write(owner, problem, existing(copies));
      return;
    }
    events.valid(owner);
    status.write(owner, null, converge(owner, spec, copies));
  }

  /** Creates and updates the copies of the selected sites, deletes the rest; what each selected site has now. */
  private List<SiteState> converge(GenericKubernetesResource owner, SiteWorkloadSpec spec, List<HasMetadata> copies) {
    SortedMap<String, Boolean> sites = selection.select(spec, nodes.get());
    List<SiteState> states = new ArrayList<>();
    Set<String> wanted = new HashSet<>();
    for (Map.Entry<String, Boolean> site : sites.entrySet()) {
      if (!site.getValue()) {
        states.add(new SiteState(site.getKey(), null, null, StatusWriter.NO_NODES));
        continue;
      }
      Stamp stamp = stamper.stamp(owner, spec, site.getKey());
      Optional<HasMetadata> existing = copies.stream().filter(c -> kind(c).equals(stamp.kind())
          && c.getMetadata().getName().equals(stamp.name())).findFirst();
      wanted.add(stamp.kind() + "/" + stamp.name());
      HasMetadata now;
      if (existing.isPresent() && !CopyStamper.sameSelector(existing.get(), stamp)) {
        // A selector cannot be changed (OUTPOST_SITE_LABEL was): the copy is replaced, created on the next pass.
        delete(existing.get(), "its selector is not the stamp's");
        states.add(new SiteState(site.getKey(), stamp.name(), null, null));
        continue;
      }
      if (existing.isEmpty()) {
        now = create(owner, stamp);
      } else if (!CopyStamper.upToDate(existing.get(), stamp)) {
        now = write("update", stamp, resource(stamper.updated(existing.get(), stamp))::update);
      } else {
        now = existing.get();
      }
      states.add(new SiteState(site.getKey(), stamp.name(), now, now == null ? StatusWriter.CONFLICT : null));
    }
    for (HasMetadata copy : copies) {
      if (!wanted.contains(kind(copy) + "/" + copy.getMetadata().getName())) {
        delete(copy, "its site is no longer selected (or the kind changed)");
        events.normal(owner, "CopyDeleted", "Deleted " + kind(copy) + " " + copy.getMetadata().getName());
      }
    }
    return states;
  }

  /** The new copy, the existing one if it is this owner's after all (the cache was behind), or null (a conflict). */
  private HasMetadata create(GenericKubernetesResource owner, Stamp stamp) {
    try {
      HasMetadata created = write("create", stamp, resource(stamp.object())::create);
      events.normal(owner, "CopyCreated", "Created " + stamp.kind() + " " + stamp.name() + " for site "
          + stamp.site());
      return created;
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      HasMetadata there = resource(stamp.object()).get();
      if (there != null && SiteWorkloads.controller(there).map(r -> r.getUid().equals(owner.getMetadata()
          .getUid())).orElse(false)) {
        // Ours, but not in the cache: just created by an earlier pass, or its owner label was removed (which takes
        // it out of the informer's selection): the label comes back with the update.
        return CopyStamper.upToDate(there, stamp) ? there
            : write("update", stamp, resource(stamper.updated(there, stamp))::update);
      }
      LOG.warn("SiteWorkload {}/{}: site {} has no copy: a {} {} exists that it does not control",
          owner.getMetadata().getNamespace(), owner.getMetadata().getName(), stamp.site(), stamp.kind(),
          stamp.name());
      metrics.increment("outpost_bridge_fleet_conflicts_total");
      return null;
    }
  }

  private HasMetadata write(String verb, Stamp stamp, Supplier<HasMetadata> call) {
    HasMetadata result = call.get();
    metrics.increment("outpost_bridge_fleet_copy_writes_total", "verb", verb);
    metrics.increment("outpost_bridge_kube_writes_total", "resource", plural(stamp.kind()));
    LOG.info("SiteWorkload copy {} {}/{} ({}d for site {})", stamp.kind(), stamp.object().getMetadata()
        .getNamespace(), stamp.name(), verb, stamp.site());
    return result;
  }

  private void delete(HasMetadata copy, String why) {
    resource(copy).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    metrics.increment("outpost_bridge_fleet_copy_writes_total", "verb", "delete");
    metrics.increment("outpost_bridge_kube_writes_total", "resource", plural(kind(copy)));
    LOG.info("SiteWorkload copy {} {}/{} deleted: {}", kind(copy), copy.getMetadata().getNamespace(),
        copy.getMetadata().getName(), why);
  }

  /**
   * The copies of an invalid spec: reported as they are, by the site on their label, one per site (the status lists
   * sites as a map; two copies of one site exist only for a moment, while the kind changes).
   */
  private List<SiteState> existing(List<HasMetadata> copies) {
    Map<String, SiteState> states = new java.util.TreeMap<>();
    for (HasMetadata copy : copies) {
      String site = copy.getMetadata().getLabels() == null ? null
          : copy.getMetadata().getLabels().get(selection.siteLabel());
      String key = site == null ? "" : site;
      states.putIfAbsent(key, new SiteState(key, copy.getMetadata().getName(), copy, null));
    }
    return List.copyOf(states.values());
  }

  @SuppressWarnings("unchecked")
  private Resource<HasMetadata> resource(HasMetadata object) {
    String namespace = object.getMetadata().getNamespace();
    if (object instanceof Deployment deployment) {
      return (Resource<HasMetadata>) (Resource<?>) client.apps().deployments().inNamespace(namespace)
          .resource(deployment);
    }
    return (Resource<HasMetadata>) (Resource<?>) client.apps().daemonSets().inNamespace(namespace)
        .resource((DaemonSet) object);
  }

  private static String kind(HasMetadata copy) {
    return copy instanceof DaemonSet ? SiteWorkloadSpec.DAEMON_SET : SiteWorkloadSpec.DEPLOYMENT;
  }

  private static String plural(String kind) {
    return kind.equals(SiteWorkloadSpec.DAEMON_SET) ? "daemonsets" : "deployments";
  }
}
