package io.outpost.network.services;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The node's table {@code ip outpost} as data — its sets and maps, its chains with their rules — so that it can be
 * written whole ({@link #script()}: one transaction that replaces the table) or as the changes from the table in force
 * ({@link NftDelta}).
 */
record NftRuleset(String table, String comment, List<Set> sets, List<Chain> chains) {

  NftRuleset {
    sets = List.copyOf(sets);
    chains = List.copyOf(chains);
  }

  /**
   * A set or map ({@code kind}); {@code elements} are values ({@code set}) or {@code key : verdict} ({@code map});
   * {@code flags} and {@code timeoutSeconds} may be null.
   */
  record Set(String kind, String name, String type, String flags, Integer timeoutSeconds, List<String> elements) {
    Set {
      elements = List.copyOf(elements);
    }

    /** Everything but the elements: what cannot change without re-creating the set. */
    boolean sameDefinition(Set other) {
      return kind.equals(other.kind) && type.equals(other.type) && java.util.Objects.equals(flags, other.flags)
          && java.util.Objects.equals(timeoutSeconds, other.timeoutSeconds);
    }

    /** The definition as {@code add set|map} takes it. */
    String definition() {
      return "{ type " + type + ";" + (flags == null ? "" : " flags " + flags + ";")
          + (timeoutSeconds == null ? "" : " timeout " + timeoutSeconds + "s;") + " }";
    }

    /** An element's key: the whole element of a set, the part before {@code " : "} of a map's. */
    String keyOf(String element) {
      if (!"map".equals(kind)) {
        return element;
      }
      int colon = element.indexOf(" : ");
      return colon < 0 ? element : element.substring(0, colon);
    }
  }

  /** A chain; {@code hook} (the base chain's type, hook, priority and policy) is null for a regular chain. */
  record Chain(String name, String hook, List<String> rules) {
    Chain {
      rules = List.copyOf(rules);
    }
  }

  /** The whole table in one transaction: {@code add table} + {@code delete table} + the table. */
  String script() {
    StringBuilder nft = new StringBuilder();
    nft.append("add table ip ").append(table).append('\n');
    nft.append("delete table ip ").append(table).append('\n');
    nft.append("table ip ").append(table).append(" {\n");
    nft.append("\tcomment \"").append(comment).append("\"\n");
    for (Set set : sets) {
      nft.append('\t').append(set.kind()).append(' ').append(set.name()).append(" {\n");
      nft.append("\t\ttype ").append(set.type()).append('\n');
      if (set.flags() != null) {
        nft.append("\t\tflags ").append(set.flags()).append('\n');
      }
      if (set.timeoutSeconds() != null) {
        nft.append("\t\ttimeout ").append(set.timeoutSeconds()).append("s\n");
      }
      if (!set.elements().isEmpty()) {
        nft.append("\t\telements = { ").append(set.elements().stream().collect(Collectors.joining(", ")))
            .append(" }\n");
      }
      nft.append("\t}\n");
    }
    for (Chain chain : chains) {
      nft.append("\tchain ").append(chain.name()).append(" {\n");
      if (chain.hook() != null) {
        nft.append("\t\t").append(chain.hook()).append('\n');
      }
      for (String rule : chain.rules()) {
        nft.append("\t\t").append(rule).append('\n');
      }
      nft.append("\t}\n");
    }
    nft.append("}\n");
    return nft.toString();
  }
}
