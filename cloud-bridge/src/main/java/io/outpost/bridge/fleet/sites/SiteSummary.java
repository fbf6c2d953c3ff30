package io.outpost.bridge.fleet.sites;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One site as the bridge summarises it: its edge Nodes (those whose site label has the site's name), how many are
 * Ready, the pods bound to them that have not finished, its region (the first of its Nodes' region labels, by node
 * name) and the last contact with any of its nodes (null: never).
 */
public record SiteSummary(String site, String region, int nodesTotal, int nodesReady, int pods, Instant lastContact) {

  /**
   * Every site of {@code nodes} (edge Nodes without a site label belong to none), sorted by name; {@code podsOn}
   * gives the pods bound to a node.
   */
  public static Map<String, SiteSummary> of(Collection<Node> nodes, String siteLabel,
      Function<String, List<Pod>> podsOn, LastContacts contacts) {
    Map<String, List<Node>> bySite = new TreeMap<>();
    for (Node node : nodes) {
      Map<String, String> labels = node.getMetadata().getLabels();
      String site = labels == null ? null : labels.get(siteLabel);
      if (site != null && !site.isEmpty()) {
        bySite.computeIfAbsent(site, s -> new ArrayList<>()).add(node);
      }
    }
    Map<String, SiteSummary> summaries = new TreeMap<>();
    bySite.forEach((site, members) -> {
      members.sort(java.util.Comparator.comparing(n -> n.getMetadata().getName()));
      int ready = 0;
      int pods = 0;
      String region = null;
      Instant last = null;
      for (Node node : members) {
        ready += ready(node) ? 1 : 0;
        pods += (int) podsOn.apply(node.getMetadata().getName()).stream().filter(SiteSummary::running).count();
        String nodeRegion = node.getMetadata().getLabels().get(SitePlacement.REGION);
        region = region != null || nodeRegion == null || nodeRegion.isEmpty() ? region : nodeRegion;
        Instant contact = contacts.of(node);
        last = contact == null || (last != null && !contact.isAfter(last)) ? last : contact;
      }
      summaries.put(site, new SiteSummary(site, region, members.size(), ready, pods, last));
    });
    return summaries;
  }

  static boolean ready(Node node) {
    return node.getStatus() != null && node.getStatus().getConditions() != null && node.getStatus().getConditions()
        .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /** A pod that runs or is to run: not Succeeded or Failed. */
  private static boolean running(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return !"Succeeded".equals(phase) && !"Failed".equals(phase);
  }
}
