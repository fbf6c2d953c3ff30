package io.outpost.containers.impl;

import java.util.List;
import java.util.Map;

/**
 * Kubernetes' {@code $(VAR_NAME)} references, expanded as the kubelet expands them (its
 * {@code third_party/forked/golang/expansion}): {@code $(NAME)} becomes the variable's value if it is defined and stays
 * {@code $(NAME)} as written if not; {@code $$} is a literal {@code $} (so {@code $$(NAME)} is the text
 * {@code $(NAME)}); a {@code $} before anything else, or an unclosed {@code $(}, is kept as it is. Env values are
 * expanded against the variables defined before them; {@code command} and {@code args} against the container's whole
 * environment. Values from ConfigMaps, Secrets and fields are not expanded.
 */
final class Expansion {
  private static final char OPERATOR = '$';
  private static final char OPENER = '(';
  private static final char CLOSER = ')';

  private Expansion() {}

  static String expand(String input, Map<String, String> variables) {
    return expand(input, (java.util.function.Function<String, String>) variables::get);
  }

  /** {@code input} expanded with {@code lookup} (a name's value, null if undefined). */
  static String expand(String input, java.util.function.Function<String, String> lookup) {
    if (input == null || input.indexOf(OPERATOR) < 0) {
      return input;
    }
    StringBuilder out = new StringBuilder(input.length());
    int checkpoint = 0;
    for (int cursor = 0; cursor < input.length(); cursor++) {
      if (input.charAt(cursor) != OPERATOR || cursor + 1 >= input.length()) {
        continue;
      }
      out.append(input, checkpoint, cursor);
      char next = input.charAt(cursor + 1);
      int advance = 1;
      if (next == OPERATOR) {
        out.append(OPERATOR); // escaped
      } else if (next == OPENER) {
        int close = input.indexOf(CLOSER, cursor + 2);
        if (close < 0) {
          out.append(OPERATOR).append(OPENER); // incomplete reference: kept
        } else {
          String name = input.substring(cursor + 2, close);
          String value = lookup.apply(name);
          out.append(value != null ? value : OPERATOR + "" + OPENER + name + CLOSER);
          advance = close - cursor;
        }
      } else {
        out.append(OPERATOR).append(next);
      }
      cursor += advance;
      checkpoint = cursor + 1;
    }
    return out.append(input, checkpoint, input.length()).toString();
  }

  /** Each of {@code words} expanded; null stays null (the image's own command or arguments). */
  static List<String> expand(List<String> words, Map<String, String> variables) {
    return words == null ? null : words.stream().map(w -> expand(w, variables)).toList();
  }

  /** The {@code NAME=value} entries of a container's environment as a map (a later entry wins). */
  static Map<String, String> variables(List<String> entries) {
    Map<String, String> map = new java.util.HashMap<>();
    for (String entry : entries) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        map.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return map;
  }
}
