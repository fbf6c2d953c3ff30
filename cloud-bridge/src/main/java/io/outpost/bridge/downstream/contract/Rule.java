package io.outpost.bridge.downstream.contract;

import java.util.Objects;

/**
 * How an edge node treats one field of the pod's spec.
 *
 * @param path the field's path in the contract's notation ({@code spec.containers[].lifecycle.postStart}: {@code []}
 *     marks a list, whose elements share the rules below it)
 * @param verdict honoured, refused or not applicable
 * @param reason for a refused field the text a user reads in {@code kubectl describe} (after {@code "<field>: "});
 *     otherwise what the field means on an edge node
 * @param refusedWhen when a value is refused, in words ({@code null}: whenever set, for refused fields; never, for
 *     the others)
 * @param check the test behind {@code refusedWhen}; {@code null} if the bridge never refuses a value of this field
 *     itself (see {@code delegatedTo})
 * @param subtree whether the rule also classifies every field below this one (a refused volume type, the
 *     scheduler's affinity): no rule is needed, and none is applied, below it
 * @param delegatedTo who judges the field and what is below it, if not this contract's check (the node's security
 *     admission): the bridge carries it and does not list it itself
 * @param newerThanModel a field of a Kubernetes newer than the bridge's fabric8 model, read from the object's
 *     additional properties: the model walk does not expect it
 */
public record Rule(String path, Verdict verdict, String reason, String refusedWhen, Check check, boolean subtree,
    String delegatedTo, boolean newerThanModel) {

  public Rule {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(reason, "reason");
  }

  /** Whether the bridge judges values of this field with {@link #check()}. */
  public boolean checked() {
    return check != null && delegatedTo == null;
  }
}
