package io.outpost.bridge.fleet;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetUpdateStrategy;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.outpost.bridge.fleet.SiteWorkloadSpec.ContainerOverride;
import io.outpost.bridge.fleet.SiteWorkloadSpec.SiteOverride;
import io.outpost.bridge.kube.EdgeTaint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Stamps one site's copy of a SiteWorkload: the template with the site's overrides applied (replicas; per container
 * image, env by name, resources), pinned to the site's edge nodes (node selector on the site label and the edge
 * label), tolerating the edge taint and — so that a cut-off site keeps its pods, as the admission webhook arranges
 * for every edge pod — {@code node.kubernetes.io/unreachable} and {@code not-ready} without a time limit; labelled
 * with the owner and the site (also the copy's selector), owned by the SiteWorkload (controller), and annotated
 * with a digest of all of that, which says whether a copy in the cache is up to date without comparing specs the API
 * server has defaulted.
 */
final class CopyStamper {
  private static final List<String> NO_EVICTION = List.of("node.kubernetes.io/unreachable",
      "node.kubernetes.io/not-ready");

  private final KubernetesSerialization serialization;
  private final Placement placement;

  CopyStamper(KubernetesSerialization serialization, Placement placement) {
    this.serialization = serialization;
    this.placement = placement;
  }

  /** A copy to write: its kind, name and the object as stamped, with its digest. */
  record Stamp(String kind, String name, String site, HasMetadata object, String digest) {}

  Stamp stamp(GenericKubernetesResource owner, SiteWorkloadSpec spec, String site) {
    String name = CopyNames.copyName(owner.getMetadata().getName(), site);
    Map<String, String> selector = new TreeMap<>();
    selector.put(SiteWorkloads.OWNER_LABEL, CopyNames.labelValue(owner.getMetadata().getName()));
    selector.put(placement.siteLabel(), site);
    PodTemplateSpec template = template(spec, site, selector);
    Map<String, String> labels = new TreeMap<>(template.getMetadata().getLabels());
    ObjectMeta meta = new ObjectMetaBuilder().withName(name).withNamespace(owner.getMetadata().getNamespace())
        .withLabels(labels).withOwnerReferences(SiteWorkloads.ownerReference(owner)).build();
    HasMetadata object;
    if (spec.kind().equals(SiteWorkloadSpec.DAEMON_SET)) {
      object = new DaemonSetBuilder().withMetadata(meta).withNewSpec()
          .withSelector(new LabelSelector(null, selector)).withTemplate(template)
          .withUpdateStrategy(spec.strategy() == null ? null
              : serialization.convertValue(spec.strategy(), DaemonSetUpdateStrategy.class))
          .endSpec().build();
    } else {
      object = new DeploymentBuilder().withMetadata(meta).withNewSpec()
          .withReplicas(spec.replicasFor(site)).withSelector(new LabelSelector(null, selector)).withTemplate(template)
          .withStrategy(spec.strategy() == null ? null
              : serialization.convertValue(spec.strategy(), DeploymentStrategy.class))
          .endSpec().build();
    }
    String digest = digest(spec.kind(), object);
    object.getMetadata().setAnnotations(new TreeMap<>(Map.of(SiteWorkloads.STAMP_ANNOTATION, digest)));
    return new Stamp(spec.kind(), name, site, object, digest);
  }

  /** Whether the copy in the cluster is the stamp as last written, with its labels and owner. */
  static boolean upToDate(HasMetadata existing, Stamp stamp) {
    Map<String, String> annotations = existing.getMetadata().getAnnotations();
    Map<String, String> labels = existing.getMetadata().getLabels() == null ? Map.of()
        : existing.getMetadata().getLabels();
    OwnerReference owner = stamp.object().getMetadata().getOwnerReferences().get(0);
    return annotations != null && stamp.digest().equals(annotations.get(SiteWorkloads.STAMP_ANNOTATION))
        && labels.entrySet().containsAll(stamp.object().getMetadata().getLabels().entrySet())
        && SiteWorkloads.controller(existing).filter(r -> owner.getUid().equals(r.getUid())).isPresent();
  }

  /** Whether the copy selects its pods as the stamp does (a Deployment's or DaemonSet's selector is immutable). */
  static boolean sameSelector(HasMetadata existing, Stamp stamp) {
    LabelSelector there = selector(existing);
    LabelSelector wanted = selector(stamp.object());
    return there != null && orEmpty(there.getMatchLabels()).equals(orEmpty(wanted.getMatchLabels()))
        && (there.getMatchExpressions() == null || there.getMatchExpressions().isEmpty());
  }

  private static Map<String, String> orEmpty(Map<String, String> labels) {
    return labels == null ? Map.of() : labels;
  }

  private static LabelSelector selector(HasMetadata copy) {
    if (copy instanceof Deployment deployment) {
      return deployment.getSpec() == null ? null : deployment.getSpec().getSelector();
    }
    DaemonSet daemonSet = (DaemonSet) copy;
    return daemonSet.getSpec() == null ? null : daemonSet.getSpec().getSelector();
  }

  /**
   * The existing copy changed to the stamp: its spec replaced (replicas kept when the stamp leaves them open), the
   * stamp's labels, annotation and owner reference added to what others put there; status and resourceVersion kept.
   */
  HasMetadata updated(HasMetadata existing, Stamp stamp) {
    HasMetadata copy = serialization.clone(existing);
    ObjectMeta meta = copy.getMetadata();
    Map<String, String> labels = new LinkedHashMap<>(meta.getLabels() == null ? Map.of() : meta.getLabels());
    labels.putAll(stamp.object().getMetadata().getLabels());
    meta.setLabels(labels);
    Map<String, String> annotations = new LinkedHashMap<>(meta.getAnnotations() == null ? Map.of()
        : meta.getAnnotations());
    annotations.putAll(stamp.object().getMetadata().getAnnotations());
    meta.setAnnotations(annotations);
    List<OwnerReference> owners = new ArrayList<>(meta.getOwnerReferences() == null ? List.of()
        : meta.getOwnerReferences());
    owners.removeIf(r -> SiteWorkloads.KIND.equals(r.getKind()) && Boolean.TRUE.equals(r.getController()));
    owners.add(stamp.object().getMetadata().getOwnerReferences().get(0));
    meta.setOwnerReferences(owners);
    if (copy instanceof Deployment deployment) {
      Deployment wanted = (Deployment) stamp.object();
      Integer replicas = wanted.getSpec().getReplicas() != null ? wanted.getSpec().getReplicas()
          : deployment.getSpec() == null ? null : deployment.getSpec().getReplicas();
      deployment.setSpec(serialization.clone(wanted.getSpec()));
      deployment.getSpec().setReplicas(replicas);
    } else if (copy instanceof DaemonSet daemonSet) {
      daemonSet.setSpec(serialization.clone(((DaemonSet) stamp.object()).getSpec()));
    }
    return copy;
  }

  private PodTemplateSpec template(SiteWorkloadSpec spec, String site, Map<String, String> selector) {
    PodTemplateSpec template = serialization.clone(spec.template());
    if (template.getMetadata() == null) {
      template.setMetadata(new ObjectMeta());
    }
    Map<String, String> labels = new TreeMap<>(template.getMetadata().getLabels() == null ? Map.of()
        : template.getMetadata().getLabels());
    labels.putAll(selector);
    template.getMetadata().setLabels(labels);
    PodSpec pod = template.getSpec();
    SiteOverride override = spec.overrides().get(site);
    if (override != null) {
      List<Container> containers = new ArrayList<>(pod.getContainers());
      if (pod.getInitContainers() != null) {
        containers.addAll(pod.getInitContainers());
      }
      for (Container container : containers) {
        ContainerOverride changes = override.containers().get(container.getName());
        if (changes != null) {
          apply(container, changes);
        }
      }
    }
    Map<String, String> nodeSelector = new TreeMap<>(pod.getNodeSelector() == null ? Map.of()
        : pod.getNodeSelector());
    nodeSelector.put(placement.siteLabel(), site);
    nodeSelector.put(placement.edgeLabelKey(), placement.edgeLabelValue());
    pod.setNodeSelector(nodeSelector);
    pod.setTolerations(tolerations(pod.getTolerations()));
    return template;
  }

  private static void apply(Container container, ContainerOverride changes) {
    if (changes.image() != null) {
      container.setImage(changes.image());
    }
    if (changes.resources() != null) {
      container.setResources(changes.resources());
    }
    if (changes.env() != null) {
      List<EnvVar> env = new ArrayList<>(container.getEnv() == null ? List.of() : container.getEnv());
      for (EnvVar variable : changes.env()) {
        int at = -1;
        for (int i = 0; i < env.size(); i++) {
          if (variable.getName().equals(env.get(i).getName())) {
            at = i;
          }
        }
        if (at >= 0) {
          env.set(at, variable);
        } else {
          env.add(variable);
        }
      }
      container.setEnv(env);
    }
  }

  private static List<Toleration> tolerations(List<Toleration> written) {
    List<Toleration> tolerations = new ArrayList<>(written == null ? List.of() : written);
    if (!EdgeTaint.tolerated(tolerations)) {
      tolerations.add(new TolerationBuilder().withKey(EdgeTaint.KEY).withOperator("Equal")
          .withValue(EdgeTaint.VALUE).withEffect(EdgeTaint.EFFECT).build());
    }
    for (String taint : NO_EVICTION) {
      if (tolerations.stream().noneMatch(t -> taint.equals(t.getKey()))) {
        tolerations.add(new TolerationBuilder().withKey(taint).withOperator("Exists").withEffect("NoExecute")
            .build());
      }
    }
    return tolerations;
  }

  /** SHA-256 of the kind, labels and spec as canonical JSON (keys sorted), first 16 hex digits. */
  private String digest(String kind, HasMetadata object) {
    Map<String, Object> content = new TreeMap<>();
    content.put("kind", kind);
    content.put("labels", object.getMetadata().getLabels());
    content.put("spec", serialization.convertValue(object instanceof Deployment d ? d.getSpec()
        : ((DaemonSet) object).getSpec(), Map.class));
    String json = serialization.asJson(sorted(content));
    return CopyNames.digest(json, 16);
  }

  @SuppressWarnings("unchecked")
  private static Object sorted(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> result = new TreeMap<>();
      map.forEach((k, v) -> result.put(String.valueOf(k), sorted(v)));
      return result;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(CopyStamper::sorted).toList();
    }
    return value;
  }
}
