package io.outpost.bridge.fleet;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.List;
import java.util.Map;

/**
 * A SiteWorkload's spec, checked ({@link SpecParser}): what to stamp, where, and each site's overrides.
 *
 * @param kind {@link #DEPLOYMENT} or {@link #DAEMON_SET}
 * @param siteNames the sites named explicitly
 * @param nodeSelector selects every site with a matching edge Node, or null
 * @param replicas replicas per site, or null (left to the copy)
 * @param strategy the Deployment strategy or DaemonSet updateStrategy as written, or null
 * @param template the pod template as written
 * @param overrides by site name
 */
record SiteWorkloadSpec(String kind, List<String> siteNames, LabelSelector nodeSelector, Integer replicas,
    Map<String, Object> strategy, PodTemplateSpec template, Map<String, SiteOverride> overrides) {
  static final String DEPLOYMENT = "Deployment";
  static final String DAEMON_SET = "DaemonSet";

  SiteWorkloadSpec {
    siteNames = List.copyOf(siteNames);
    overrides = Map.copyOf(overrides);
  }

  /** The replicas for a site: its override, else the spec's, else null. */
  Integer replicasFor(String site) {
    SiteOverride override = overrides.get(site);
    return override != null && override.replicas() != null ? override.replicas() : replicas;
  }

  /** One site's changes. */
  record SiteOverride(String site, Integer replicas, Map<String, ContainerOverride> containers) {
    SiteOverride {
      containers = Map.copyOf(containers);
    }
  }

  /** One container's changes at a site: each null field leaves the template's value. */
  record ContainerOverride(String name, String image, List<EnvVar> env, ResourceRequirements resources) {}

  /** Why a spec cannot be stamped: a condition reason (CamelCase) and a message naming the field. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;
    private final String reason;

    Invalid(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    String reason() {
      return reason;
    }
  }
}
