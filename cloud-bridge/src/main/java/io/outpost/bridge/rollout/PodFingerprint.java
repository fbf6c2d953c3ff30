package io.outpost.bridge.rollout;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The health gate "pods untouched": what a node's pods' containers looked like when the node was assigned its
 * artifact — per {@code namespace/pod/container} the pod's uid, the container's restart count and when it started
 * running — kept in the rollout's status and compared when the node reports the artifact installed. A container of
 * the same pod (same uid, still there) that restarted since (restart count up, or started again) means the update
 * touched the node's workloads. Pods deleted or created since do not count: that is the workloads' own business.
 */
final class PodFingerprint {
  /** At most this many containers per node are recorded (the status stays small). */
  static final int MAX_CONTAINERS = 64;

  private PodFingerprint() {}

  /** The fingerprint of {@code pods}: {@code namespace/pod/container} → {@code uid|restarts|startedAt}. */
  static Map<String, String> of(Collection<Pod> pods) {
    Map<String, String> fingerprint = new TreeMap<>();
    for (Pod pod : pods) {
      if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
          || pod.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      for (ContainerStatus container : pod.getStatus().getContainerStatuses()) {
        String started = container.getState() != null && container.getState().getRunning() != null
            ? container.getState().getRunning().getStartedAt() : null;
        fingerprint.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + "/"
            + container.getName(), pod.getMetadata().getUid() + "|" + (container.getRestartCount() == null ? 0
                : container.getRestartCount()) + "|" + (started == null ? "" : started));
      }
    }
    if (fingerprint.size() <= MAX_CONTAINERS) {
      return fingerprint;
    }
    Map<String, String> first = new TreeMap<>();
    fingerprint.entrySet().stream().limit(MAX_CONTAINERS).forEach(e -> first.put(e.getKey(), e.getValue()));
    return first;
  }

  /**
   * The containers of {@code before} that restarted in {@code now} (same key and pod uid; restart count higher, or a
   * different start time while running), as {@code namespace/pod/container} names; empty if none.
   */
  static List<String> restarted(Map<String, String> before, Map<String, String> now) {
    List<String> restarted = new ArrayList<>();
    for (Map.Entry<String, String> entry : before.entrySet()) {
      String current = now.get(entry.getKey());
      if (current == null) {
        continue; // pod (or container) gone: not this gate's business
      }
      String[] then = entry.getValue().split("\\|", -1);
      String[] later = current.split("\\|", -1);
      if (then.length != 3 || later.length != 3 || !then[0].equals(later[0])) {
        continue; // another pod of the same name
      }
      long restartsThen = number(then[1]);
      long restartsNow = number(later[1]);
      boolean startedAgain = !then[2].isEmpty() && !later[2].isEmpty() && !then[2].equals(later[2]);
      if (restartsNow > restartsThen || startedAgain) {
        restarted.add(entry.getKey());
      }
    }
    return restarted;
  }

  private static long number(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
