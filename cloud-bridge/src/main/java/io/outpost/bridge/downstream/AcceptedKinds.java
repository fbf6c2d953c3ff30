package io.outpost.bridge.downstream;

import io.outpost.protocol.Downstream;
import io.outpost.protocol.ResyncRequest;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The downstream kinds each node applies, as its latest resync request named them ({@link ResyncRequest#kinds()}):
 * the router sends a node no other kind, live or in a resync answer, and counts no other in the digests it expects
 * of it. Unknown until the node's first resync with this bridge incarnation (the router sends a node nothing before
 * that). Thread-safe.
 */
public final class AcceptedKinds {
  /**
   * What a node that names no kinds applies: {@link Downstream#BASE_KINDS} and ServiceAccountToken. Such nodes were
   * built before {@code ResyncRequest.kinds} and after the ServiceAccountToken kind (edge and bridge ship together
   * before 0.1.0, docs/protocol.md §12), and a bridge has always sent them tokens; {@code BASE_KINDS} leaves the kind
   * out, which would stop the tokens of their pods.
   */
  static final Set<String> LEGACY = legacy();

  private final Map<String, Set<String>> byNode = new ConcurrentHashMap<>();

  private static Set<String> legacy() {
    Set<String> kinds = new HashSet<>(Downstream.BASE_KINDS);
    kinds.add(Downstream.KIND_SERVICE_ACCOUNT_TOKEN);
    return Set.copyOf(kinds);
  }

  /** The kinds a request says its node applies, limited to kinds this bridge knows. */
  static Set<String> of(ResyncRequest request) {
    if (request.kinds() == null) {
      return LEGACY;
    }
    Set<String> kinds = new HashSet<>(request.acceptedKinds());
    kinds.retainAll(Downstream.KINDS);
    return Set.copyOf(kinds);
  }

  /** Remembers what the node's latest request named; returns it. */
  Set<String> record(ResyncRequest request) {
    Set<String> kinds = of(request);
    byNode.put(request.node(), kinds);
    return kinds;
  }

  /** The kinds the node applies; {@link #LEGACY} until it has resynced. */
  public Set<String> of(String node) {
    return byNode.getOrDefault(node, LEGACY);
  }

  /** Whether the node has resynced and named {@code kind}; false while unknown. */
  public boolean accepts(String node, String kind) {
    Set<String> kinds = byNode.get(node);
    return kinds != null && kinds.contains(kind);
  }

  /** Whether the node has resynced with this bridge (its kinds are known). */
  public boolean known(String node) {
    return byNode.containsKey(node);
  }
}
