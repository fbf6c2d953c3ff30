package io.outpost.network.services;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The changes that turn the table in force into the next one, as one nftables transaction, the way kube-proxy's
 * nftables mode updates its table: new sets, maps and chains are added, a chain whose rules changed is flushed and
 * written again, map and set elements are deleted and added one by one, and what is no longer wanted is flushed and
 * deleted last, once nothing refers to it. A one-endpoint change is thus a few lines whatever the table's size, and
 * the dynamic sets of ClientIP affinity keep their entries. {@code nft -f -} applies all of it or none.
 *
 * <p>Where the two tables differ in what a delta cannot express (the comment, a base chain, a set's type, flags or
 * timeout) there is no delta: the caller writes the table whole.
 */
final class NftDelta {
  private NftDelta() {}

  /** The transaction from {@code inForce} to {@code next}: empty text if equal; empty if only a whole table will do. */
  static Optional<String> between(NftRuleset inForce, NftRuleset next) {
    if (!inForce.table().equals(next.table()) || !inForce.comment().equals(next.comment())) {
      return Optional.empty();
    }
    String t = "ip " + next.table();
    Map<String, NftRuleset.Set> oldSets = new LinkedHashMap<>();
    inForce.sets().forEach(s -> oldSets.put(s.name(), s));
    Map<String, NftRuleset.Chain> oldChains = new LinkedHashMap<>();
    inForce.chains().forEach(c -> oldChains.put(c.name(), c));

    StringBuilder adds = new StringBuilder();
    StringBuilder rules = new StringBuilder();
    StringBuilder elements = new StringBuilder();
    for (NftRuleset.Set set : next.sets()) {
      NftRuleset.Set old = oldSets.remove(set.name());
      if (old == null) {
        adds.append("add ").append(set.kind()).append(' ').append(t).append(' ').append(set.name()).append(' ')
            .append(set.definition()).append('\n');
        elementChanges(elements, t, set, List.of(), set.elements());
      } else if (!old.sameDefinition(set)) {
        return Optional.empty();
      } else {
        elementChanges(elements, t, set, old.elements(), set.elements());
      }
    }
    for (NftRuleset.Chain chain : next.chains()) {
      NftRuleset.Chain old = oldChains.remove(chain.name());
      if (old != null && !java.util.Objects.equals(old.hook(), chain.hook())) {
        return Optional.empty();
      }
      if (chain.hook() != null && old == null) {
        return Optional.empty(); // a new base chain: only in a new layout
      }
      if (old == null) {
        adds.append("add chain ").append(t).append(' ').append(chain.name()).append('\n');
      } else if (old.rules().equals(chain.rules())) {
        continue;
      } else {
        rules.append("flush chain ").append(t).append(' ').append(chain.name()).append('\n');
      }
      for (String rule : chain.rules()) {
        rules.append("add rule ").append(t).append(' ').append(chain.name()).append(' ').append(rule).append('\n');
      }
    }
    if (oldChains.values().stream().anyMatch(c -> c.hook() != null)) {
      return Optional.empty(); // a base chain went away: only in a new layout
    }
    StringBuilder removals = new StringBuilder();
    oldChains.keySet().forEach(name -> removals.append("flush chain ").append(t).append(' ').append(name)
        .append('\n'));
    oldChains.keySet().forEach(name -> removals.append("delete chain ").append(t).append(' ').append(name)
        .append('\n'));
    oldSets.values().forEach(set -> removals.append("delete ").append(set.kind()).append(' ').append(t).append(' ')
        .append(set.name()).append('\n'));
    // Order: what is new exists before anything refers to it; what goes is unreferenced before it is deleted.
    return Optional.of(adds.toString() + rules + elements + removals);
  }

  /** Deletes of the elements gone or changed (by key), then adds of the new and changed ones. */
  private static void elementChanges(StringBuilder out, String t, NftRuleset.Set set, List<String> before,
      List<String> after) {
    Map<String, String> old = new LinkedHashMap<>();
    before.forEach(e -> old.put(set.keyOf(e), e));
    List<String> added = new ArrayList<>();
    LinkedHashSet<String> deleted = new LinkedHashSet<>();
    for (String element : after) {
      String key = set.keyOf(element);
      String was = old.remove(key);
      if (was == null) {
        added.add(element);
      } else if (!was.equals(element)) {
        deleted.add(key);
        added.add(element);
      }
    }
    deleted.addAll(old.keySet());
    if (!deleted.isEmpty()) {
      out.append("delete element ").append(t).append(' ').append(set.name()).append(" { ")
          .append(String.join(", ", deleted)).append(" }\n");
    }
    if (!added.isEmpty()) {
      out.append("add element ").append(t).append(' ').append(set.name()).append(" { ")
          .append(String.join(", ", added)).append(" }\n");
    }
  }
}
