package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.bridge.downstream.contract.PodRefusals;
import io.outpost.bridge.downstream.contract.PodSpecContract;
import io.outpost.protocol.PodV1;
import java.util.ArrayList;
import java.util.List;

/**
 * The PodSpec fields an edge node refuses, as the {@link PodSpecContract} classifies them (docs/podspec-contract.md):
 * set to a value whose behaviour Outpost does not provide, or unknown to this bridge's model (a newer API server's).
 * They travel with the pod ({@code PodV1.unsupported}) and the node refuses to start its containers
 * ({@code CreateContainerConfigError} naming them), so a pod written for a kubelet never runs with part of its spec
 * silently dropped; the admission webhook warns with the same list. Security settings and host namespaces are judged
 * by the node's security admission, not listed here.
 */
public final class UnsupportedFields {
  /** At most this many fields are named; more are summarised (the wire caps the list). */
  static final int MAX_LISTED = PodV1.MAX_UNSUPPORTED;
  private static final PodRefusals REFUSALS = new PodRefusals(PodSpecContract.get());

  private UnsupportedFields() {}

  /** The unsupported fields of the pod as {@code "<path>: <why>"}, in the contract's order; empty if none. */
  public static List<String> of(Pod pod) {
    List<String> found = REFUSALS.of(pod.getSpec()).stream().map(UnsupportedFields::fit).toList();
    if (found.size() > MAX_LISTED) {
      int more = found.size() - (MAX_LISTED - 1);
      List<String> cut = new ArrayList<>(found.subList(0, MAX_LISTED - 1));
      cut.add("… and " + more + " more");
      return List.copyOf(cut);
    }
    return List.copyOf(found);
  }

  /** An entry within the wire's bound (a field name of a newer API server could be any length). */
  private static String fit(String entry) {
    return entry.length() <= PodV1.MAX_UNSUPPORTED_TEXT ? entry
        : entry.substring(0, PodV1.MAX_UNSUPPORTED_TEXT - 1) + "…";
  }
}
