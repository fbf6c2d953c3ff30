package io.outpost.bridge.downstream.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;

/**
 * What the {@link PodSpecContract} refuses in one pod: walks the spec as the API server stores it (JSON), judges
 * every field against its rule, and names each refused value as {@code "<path>: <reason>"}, with list elements by
 * name where they have one ({@code spec.containers[app].volumeMounts[data].mountPropagation}). A field no rule
 * classifies is one this bridge's model does not know (a newer API server's): it is named too, never dropped.
 * Fields judged elsewhere (security settings: the node's security admission) are left to their judge.
 */
public final class PodRefusals {
  /** Not the client's serialization: only the model's own annotations are needed, and no client configuration. */
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PodSpecContract contract;

  public PodRefusals(PodSpecContract contract) {
    this.contract = contract;
  }

  /** The refused fields of a pod's spec, in the contract's order; empty if none. */
  public List<String> of(PodSpec spec) {
    List<String> found = new ArrayList<>();
    if (spec != null) {
      walk("spec", "spec", JSON.valueToTree(spec), found);
    }
    return found;
  }

  private void walk(String path, String at, JsonNode value, List<String> found) {
    Rule rule = contract.rule(path);
    if (rule == null) {
      found.add(at + ": a field this bridge does not know");
      return;
    }
    if (rule.delegatedTo() != null) {
      return;
    }
    if (rule.checked()) {
      for (Finding finding : rule.check().judge(value, rule.reason())) {
        found.add(at + finding.subPath() + ": " + finding.reason());
      }
    }
    if (rule.subtree()) {
      return;
    }
    if (value.isArray()) {
      int index = 0;
      for (JsonNode element : value) {
        if (element.isObject()) {
          JsonNode name = element.path("name");
          fields(path, at + "[" + (name.isTextual() ? name.textValue() : String.valueOf(index)) + "]", element,
              found);
        }
        index++;
      }
    } else if (value.isObject() && contract.hasChildren(path)) {
      fields(path, at, value, found);
    }
  }

  /** The fields of one object, in the contract's order, unknown ones last by name. */
  private void fields(String path, String at, JsonNode object, List<String> found) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    names.sort(Comparator.<String>comparingInt(name -> contract.position(child(path, name, object.get(name))))
        .thenComparing(Comparator.naturalOrder()));
    for (String name : names) {
      JsonNode value = object.get(name);
      if (value.isNull()) {
        continue;
      }
      walk(child(path, name, value), at + "." + name, value, found);
    }
  }

  private static String child(String path, String name, JsonNode value) {
    return path + "." + name + (value.isArray() ? "[]" : "");
  }
}
