package io.outpost.network.services;

import io.outpost.containers.PodRuntime;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodStatusReport.ContainerStatusV1;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A pod of this node as its own container manager sees it: its address and whether it is ready (running, not
 * stopping, every container ready by its probes). The node's own view wins over the cloud's EndpointSlices for its
 * own pods, so a site that is cut off balances over the pods that are really up. Readiness gates (conditions other
 * controllers set) are not visible on the node and are not taken into account here.
 */
record LocalPod(String ip, boolean ready) {

  /** Local pods by {@code namespace/name}; a pod without a status yet (no pass reached the engine) is left out. */
  static Map<String, LocalPod> of(List<PodRuntime> pods) {
    Map<String, LocalPod> local = new TreeMap<>();
    for (PodRuntime pod : pods) {
      PodStatusReport status = pod.status();
      if (status != null) {
        local.put(pod.ref().namespace() + "/" + pod.ref().name(), new LocalPod(status.podIP(), ready(status)));
      }
    }
    return local;
  }

  static boolean ready(PodStatusReport status) {
    List<ContainerStatusV1> containers = status.containers();
    return "Running".equals(status.phase()) && !status.stopped() && containers != null && !containers.isEmpty()
        && containers.stream().allMatch(ContainerStatusV1::ready);
  }
}
