package io.outpost.bridge.downstream.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every field path of fabric8's model reachable from a root type, in the contract's notation: the JSON name of each
 * getter ({@code @JsonProperty}), {@code []} after a list, recursing into nested model types; maps and value types
 * (Quantity, IntOrString) are leaves.
 */
final class ModelPaths {
  private static final Set<Class<?>> VALUES = Set.of(Quantity.class, IntOrString.class);

  private ModelPaths() {}

  static Set<String> of(String root, Class<?> type) {
    Set<String> paths = new LinkedHashSet<>();
    paths.add(root);
    walk(root, type, paths, new ArrayDeque<>());
    return paths;
  }

  private static void walk(String path, Class<?> type, Set<String> paths, Deque<Class<?>> within) {
    if (within.contains(type)) {
      throw new IllegalStateException("the model is recursive at " + path + ": the walk needs a rule for it");
    }
    within.push(type);
    for (Method getter : type.getMethods()) {
      JsonProperty property = getter.getAnnotation(JsonProperty.class);
      if (property == null || getter.getParameterCount() != 0 || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Class<?> raw = getter.getReturnType();
      Type generic = getter.getGenericReturnType();
      String field = path + "." + property.value();
      if (List.class.isAssignableFrom(raw)) {
        field += "[]";
        Type element = ((ParameterizedType) generic).getActualTypeArguments()[0];
        raw = element instanceof Class<?> c ? c : Object.class;
      }
      paths.add(field);
      if (isModel(raw)) {
        walk(field, raw, paths, within);
      }
    }
    within.pop();
  }

  private static boolean isModel(Class<?> type) {
    return type.getPackageName().startsWith("io.fabric8.kubernetes.api.model") && !VALUES.contains(type)
        && !Map.class.isAssignableFrom(type) && !type.isEnum();
  }
}
