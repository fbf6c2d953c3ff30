package io.outpost.bridge.downstream.contract;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** The conditions under which the contract refuses a field's value. */
final class Checks {
  private Checks() {}

  /** Refused whenever set: not null, not empty, not {@code false}. */
  static final Check SET = (value, reason) -> set(value) ? List.of(Finding.of(reason)) : List.of();

  /** Refused when {@code true}. */
  static final Check TRUE = (value, reason) -> value.asBoolean(false) ? List.of(Finding.of(reason)) : List.of();

  /** Whether a value counts as set: what an API server would store for a field a user wrote. */
  static boolean set(JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return false;
    }
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    if (value.isTextual()) {
      return !value.textValue().isEmpty();
    }
    return !value.isContainerNode() || !value.isEmpty();
  }

  /** Refused when set to a text other than {@code allowed}. */
  static Check textOtherThan(String... allowed) {
    Set<String> ok = Set.of(allowed);
    return (value, reason) -> set(value) && !ok.contains(value.asText()) ? List.of(Finding.of(reason)) : List.of();
  }

  /** Refused when set to {@code refused}. */
  static Check textIs(String refused) {
    return (value, reason) -> refused.equals(value.asText(null)) ? List.of(Finding.of(reason)) : List.of();
  }

  /** Refused when a list has more than {@code max} elements (a bound of the wire). */
  static Check moreThan(int max, String refusal) {
    return (value, reason) -> value.isArray() && value.size() > max ? List.of(Finding.of(refusal)) : List.of();
  }

  /**
   * A container's requests or limits: resources other than {@code provided} are refused one by one (hugepages with
   * their own words), and so, in limits, is {@code ephemeral-storage} (its request is the scheduler's).
   */
  static Check resources(Set<String> provided, boolean limits) {
    return (value, reason) -> {
      List<Finding> found = new ArrayList<>();
      for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!provided.contains(name)) {
          found.add(Finding.of(name + (name.startsWith("hugepages-") ? " is not provided by edge nodes"
              : " is not a resource edge nodes provide")));
        } else if (limits && "ephemeral-storage".equals(name)) {
          found.add(new Finding(".ephemeral-storage", "not enforced on edge nodes (use emptyDir.sizeLimit)"));
        }
      }
      return found;
    };
  }

  /** {@code spec.hostAliases}: refused beyond {@code max} entries or {@code max} hostnames in one (the wire's bound). */
  static Check hostAliases(int max) {
    return (value, reason) -> {
      boolean tooMany = value.isArray() && value.size() > max;
      for (JsonNode alias : value) {
        tooMany |= alias.path("hostnames").size() > max;
      }
      return tooMany ? List.of(Finding.of("more than " + max + " entries or hostnames are not written on edge"
          + " nodes")) : List.of();
    };
  }
}
