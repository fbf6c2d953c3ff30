package io.outpost.bridge.fleet;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Node;
import java.util.Collection;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Which sites a SiteWorkload selects, from the edge Nodes of the cache: a site exists while at least one edge Node
 * carries its name as the value of the site label. Selected are the sites named in {@code spec.sites.names} and
 * the sites with at least one edge Node that {@code spec.sites.nodeSelector} matches (Kubernetes' label selector
 * rules: matchLabels and matchExpressions all hold; an empty selector matches every Node).
 */
final class SiteSelection {
  private final String siteLabel;

  SiteSelection(String siteLabel) {
    this.siteLabel = siteLabel;
  }

  String siteLabel() {
    return siteLabel;
  }

  /** Every selected site, sorted, each with whether it has an edge Node (only those get a copy). */
  SortedMap<String, Boolean> select(SiteWorkloadSpec spec, Collection<Node> edgeNodes) {
    SortedMap<String, Boolean> selected = new TreeMap<>();
    spec.siteNames().forEach(name -> selected.put(name, false));
    for (Node node : edgeNodes) {
      Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
      String site = labels.get(siteLabel);
      if (!CopyNames.validSite(site)) {
        continue;
      }
      if (selected.containsKey(site) || (spec.nodeSelector() != null && matches(spec.nodeSelector(), labels))) {
        selected.put(site, true);
      }
    }
    return selected;
  }

  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> wanted : selector.getMatchLabels().entrySet()) {
        if (!wanted.getValue().equals(labels.get(wanted.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
        String value = labels.get(requirement.getKey());
        boolean holds = switch (requirement.getOperator()) {
          case "In" -> value != null && requirement.getValues().contains(value);
          case "NotIn" -> value == null || !requirement.getValues().contains(value);
          case "Exists" -> value != null;
          case "DoesNotExist" -> value == null;
          default -> false; // refused by SpecParser
        };
        if (!holds) {
          return false;
        }
      }
    }
    return true;
  }
}
