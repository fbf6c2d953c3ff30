package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the uids of recently deleted pods and the node each was bound to, so that a report about a pod that is
 * gone is told apart from one about a pod that never existed there. A node reports on a pod until it has seen its
 * deletion, and its outboxes deliver what it recorded before (after a disconnect, much later): such late reports are
 * normal. Bounded: the newest {@value #REMEMBERED} deletions (about 150 bytes each). Informer callbacks only record;
 * thread-safe.
 */
final class DeletedPods implements ResourceEventHandler<Pod> {
  static final int REMEMBERED = 16_384;

  /** uid → node; guarded by itself. */
  private final Map<String, String> nodes = new LinkedHashMap<>(256, 0.75f, false) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > REMEMBERED;
    }
  };

  @Override
  public void onAdd(Pod pod) {
    // Only deletions matter.
  }

  @Override
  public void onUpdate(Pod before, Pod after) {
    // Only deletions matter.
  }

  @Override
  public void onDelete(Pod pod, boolean finalStateUnknown) {
    String uid = pod.getMetadata() == null ? null : pod.getMetadata().getUid();
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    if (uid != null && node != null) {
      synchronized (nodes) {
        nodes.put(uid, node);
      }
    }
  }

  /** True if a pod with {@code uid} bound to {@code node} was deleted recently. */
  boolean wasOn(String uid, String node) {
    synchronized (nodes) {
      return node.equals(nodes.get(uid));
    }
  }
}
