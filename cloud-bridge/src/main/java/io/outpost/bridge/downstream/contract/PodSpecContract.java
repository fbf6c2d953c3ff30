package io.outpost.bridge.downstream.contract;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that says, for every field of a pod's spec, whether an edge node honours it, refuses it (and why,
 * in the words {@code kubectl describe} shows) or leaves it to the control plane. The bridge's refusals
 * ({@link PodRefusals}) and docs/podspec-contract.md ({@link ContractDoc}) are derived from it, and a test walks
 * fabric8's model so that a field Kubernetes adds fails the build until it is classified here.
 *
 * <p>Paths are JSON field names from {@code spec}, {@code []} marking a list ({@code spec.containers[].ports[].name}).
 * Rules of {@code spec.containers[]} also apply to {@code spec.initContainers[]} and {@code spec.ephemeralContainers[]},
 * those of {@code livenessProbe} to the other probes, those of {@code postStart} to {@code preStop} ({@link
 * #aliases()}), unless a rule names the path itself.
 */
public final class PodSpecContract {
  private static final PodSpecContract INSTANCE = build();

  private final List<Rule> rules;
  private final Map<String, Rule> byPath;
  private final Map<String, Integer> order;
  private final Map<String, String> aliases;
  private final java.util.Set<String> parents = new java.util.HashSet<>();

  private PodSpecContract(List<Rule> rules, Map<String, String> aliases) {
    this.rules = rules;
    this.aliases = aliases;
    Map<String, Rule> paths = new LinkedHashMap<>();
    Map<String, Integer> positions = new LinkedHashMap<>();
    for (Rule rule : rules) {
      if (paths.put(rule.path(), rule) != null) {
        throw new IllegalStateException("the PodSpec contract classifies " + rule.path() + " twice");
      }
      positions.put(rule.path(), positions.size());
    }
    for (Rule rule : rules) {
      for (String at = parent(rule.path()); at != null; at = parent(at)) {
        parents.add(at);
      }
    }
    this.byPath = paths;
    this.order = positions;
  }

  private static PodSpecContract build() {
    Rules r = new Rules();
    PodRules.add(r);
    ContainerRules.add(r);
    VolumeRules.add(r);
    SecurityRules.add(r);
    return new PodSpecContract(r.rules(), r.aliases());
  }

  /** The contract. */
  public static PodSpecContract get() {
    return INSTANCE;
  }

  /** Every rule, in the order the docs list them. */
  public List<Rule> rules() {
    return rules;
  }

  /** Path prefixes whose fields follow the rules of another prefix (e.g. init containers those of containers). */
  public Map<String, String> aliases() {
    return aliases;
  }

  /** The rule that classifies {@code path} itself (aliases followed), or null if none does. */
  public Rule rule(String path) {
    Rule rule = byPath.get(path);
    if (rule != null) {
      return rule;
    }
    for (Map.Entry<String, String> alias : aliases.entrySet()) {
      String from = alias.getKey();
      if (path.startsWith(from) && (path.length() == from.length() || path.charAt(from.length()) == '.')) {
        return rule(alias.getValue() + path.substring(from.length()));
      }
    }
    return null;
  }

  /**
   * The rule that classifies {@code path}: its own, or the nearest enclosing rule that covers its whole subtree;
   * null if the path is not classified.
   */
  public Rule covering(String path) {
    Rule own = rule(path);
    if (own != null) {
      return own;
    }
    for (String at = parent(path); at != null; at = parent(at)) {
      Rule enclosing = rule(at);
      if (enclosing != null) {
        return enclosing.subtree() ? enclosing : null;
      }
    }
    return null;
  }

  /** A position for sorting fields in the contract's order; unclassified paths come last. */
  int position(String path) {
    Rule rule = rule(path);
    return rule == null ? Integer.MAX_VALUE : order.get(rule.path());
  }

  /** Whether rules classify fields below {@code path} (aliases followed): false for a map of the user's keys. */
  boolean hasChildren(String path) {
    Rule rule = rule(path);
    return parents.contains(rule == null ? path : rule.path());
  }

  /** {@code spec.containers[].ports[]} → {@code spec.containers[]}; null for {@code spec}. */
  static String parent(String path) {
    int dot = path.lastIndexOf('.');
    return dot < 0 ? null : path.substring(0, dot);
  }
}
