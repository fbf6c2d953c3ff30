package io.outpost.bridge.downstream.contract;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Collects the contract's rules in the order the docs list them; one method per kind of rule. */
final class Rules {
  /** Who judges security settings and host namespaces. */
  static final String SECURITY = "the node's security admission (docs/operations.md, \"Pod security\")";

  private final List<Rule> rules = new ArrayList<>();
  private final Map<String, String> aliases = new LinkedHashMap<>();

  /** A field the node honours; its children, if any, need rules of their own. */
  Rules honoured(String path, String meaning) {
    return add(new Rule(path, Verdict.HONOURED, meaning, null, null, false, null, false));
  }

  /** A field the node honours up to a bound: values beyond it are refused ({@code check} says why). */
  Rules honoured(String path, String meaning, String refusedWhen, Check check) {
    return add(new Rule(path, Verdict.HONOURED, meaning, refusedWhen, check, false, null, false));
  }

  /** A field (without fields below it) refused whenever set. */
  Rules refused(String path, String reason) {
    return add(new Rule(path, Verdict.REFUSED, reason, null, Checks.SET, false, null, false));
  }

  /** A field refused whenever set, with everything below it. */
  Rules refusedTree(String path, String reason) {
    return add(new Rule(path, Verdict.REFUSED, reason, null, Checks.SET, true, null, false));
  }

  /** A field refused for some values only ({@code refusedWhen}); other values are honoured. */
  Rules refused(String path, String reason, String refusedWhen, Check check) {
    return add(new Rule(path, Verdict.REFUSED, reason, refusedWhen, check, false, null, false));
  }

  /** A field (without fields below it) that is the control plane's business. */
  Rules notApplicable(String path, String why) {
    return add(new Rule(path, Verdict.NOT_APPLICABLE, why, null, null, false, null, false));
  }

  /** A field that is the control plane's business, with everything below it. */
  Rules notApplicableTree(String path, String why) {
    return add(new Rule(path, Verdict.NOT_APPLICABLE, why, null, null, true, null, false));
  }

  /** A field the node's security admission judges (the bridge carries it, the node honours or refuses it). */
  Rules security(String path, Verdict verdict, String meaning) {
    return security(path, verdict, meaning, null);
  }

  /** Like {@link #security(String, Verdict, String)}, saying which values the node refuses. */
  Rules security(String path, Verdict verdict, String meaning, String refusedWhen) {
    return add(new Rule(path, verdict, meaning, refusedWhen, null, false, SECURITY, false));
  }

  /** Like {@link #security}, covering everything below the field. */
  Rules securitySubtree(String path, Verdict verdict, String meaning) {
    return add(new Rule(path, verdict, meaning, null, null, true, SECURITY, false));
  }

  /** A field of a Kubernetes newer than the bridge's model, read from additional properties, and honoured. */
  Rules honouredNewerThanModel(String path, String meaning) {
    return add(new Rule(path, Verdict.HONOURED, meaning, null, null, false, null, true));
  }

  /** Paths below {@code from} follow the rules below {@code to}, except where a rule names them. */
  Rules alias(String from, String to) {
    aliases.put(from, to);
    return this;
  }

  private Rules add(Rule rule) {
    rules.add(rule);
    return this;
  }

  List<Rule> rules() {
    return List.copyOf(rules);
  }

  Map<String, String> aliases() {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
  }
}
