package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Edge nodes are opt-in for workloads: every edge Node carries {@code node.outpost.io/edge=true:NoSchedule}, so the
 * scheduler places a pod there only if it tolerates the taint, and the DaemonSet controller creates no pod there for
 * a DaemonSet whose template does not. The bridge registers Nodes with it and puts it back if it is removed (or its
 * value changed); taints others put on the Node are left as they are.
 */
public final class EdgeTaint {
  public static final String KEY = "node.outpost.io/edge";
  public static final String VALUE = "true";
  public static final String EFFECT = "NoSchedule";

  private EdgeTaint() {}

  public static Taint taint() {
    return new TaintBuilder().withKey(KEY).withValue(VALUE).withEffect(EFFECT).build();
  }

  /** The taint as the webhook adds its toleration: key, Equal, value and effect, as a user would write it. */
  public static Map<String, Object> toleration() {
    Map<String, Object> toleration = new LinkedHashMap<>();
    toleration.put("key", KEY);
    toleration.put("operator", "Equal");
    toleration.put("value", VALUE);
    toleration.put("effect", EFFECT);
    return toleration;
  }

  /** Whether the Node carries the taint as the bridge writes it. */
  public static boolean present(Node node) {
    return taints(node).stream().anyMatch(t -> KEY.equals(t.getKey()) && EFFECT.equals(t.getEffect())
        && VALUE.equals(t.getValue()));
  }

  /**
   * The RFC 6902 patch that puts the taint back on {@code node} and nothing else: guarded by a test of the Node's
   * resourceVersion (a concurrent change makes it fail rather than overwrite), then either the value of our
   * key/effect fixed, or the taint appended, or the list created.
   */
  public static List<Map<String, Object>> patch(Node node) {
    List<Map<String, Object>> operations = new ArrayList<>();
    operations.add(JsonPatch.op("test", "/metadata/resourceVersion", node.getMetadata().getResourceVersion()));
    List<Taint> taints = taints(node);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("key", KEY);
    value.put("value", VALUE);
    value.put("effect", EFFECT);
    for (int i = 0; i < taints.size(); i++) {
      if (KEY.equals(taints.get(i).getKey()) && EFFECT.equals(taints.get(i).getEffect())) {
        operations.add(JsonPatch.op("replace", "/spec/taints/" + i, value));
        return operations;
      }
    }
    if (node.getSpec() == null) {
      operations.add(JsonPatch.op("add", "/spec", Map.of("taints", List.of(value))));
    } else if (taints.isEmpty()) {
      // No taints (fabric8 shows an absent list as empty): create the list; "add" replaces an empty one.
      operations.add(JsonPatch.op("add", "/spec/taints", List.of(value)));
    } else {
      operations.add(JsonPatch.op("add", "/spec/taints/-", value));
    }
    return operations;
  }

  /**
   * Whether the tolerations let a pod onto a Node with the taint, by Kubernetes' rules (an empty key with Exists
   * tolerates every taint; an empty effect every effect; Exists any value, Equal — the default — the same value).
   */
  public static boolean tolerated(List<Toleration> tolerations) {
    if (tolerations == null) {
      return false;
    }
    for (Toleration toleration : tolerations) {
      String effect = toleration.getEffect();
      if (effect != null && !effect.isEmpty() && !EFFECT.equals(effect)) {
        continue;
      }
      String key = toleration.getKey();
      boolean exists = "Exists".equals(toleration.getOperator());
      if (key == null || key.isEmpty()) {
        if (exists) {
          return true;
        }
        continue;
      }
      if (KEY.equals(key) && (exists || VALUE.equals(toleration.getValue()))) {
        return true;
      }
    }
    return false;
  }

  private static List<Taint> taints(Node node) {
    return node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
  }
}
