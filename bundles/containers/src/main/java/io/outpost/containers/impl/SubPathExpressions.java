package io.outpost.containers.impl;

import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.VolumeV1.VolumeMountV1;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code subPathExpr} as the kubelet expands it ({@code kubecontainer.ExpandContainerVolumeMounts}, then
 * {@code makeMounts}): {@code $(VAR)} references replaced by the container's environment, a reference to a variable
 * that is not set or empty failing with {@code missing value for VAR}; the result must be relative and contain no
 * {@code ..} segment; then it is a subPath like any other ({@link Volumes} checks it, symlinks followed, at every
 * start). The expansion is recorded on the engine container as labels ({@link #LABEL}{@code <mount index>}) at its
 * creation, because the engine binds that path on every restart: a restart checks what is bound, not what the
 * environment (a label, a ConfigMap) would give now.
 */
final class SubPathExpressions {
  static final String LABEL = "io.outpost.subpathexpr.";

  private SubPathExpressions() {}

  /** The expanded subPath of each mount with a {@code subPathExpr}, by its index in the container's mounts. */
  static Map<Integer, String> expand(ContainerV1 container, List<String> environment) throws EnvResolver.ConfigError {
    Map<Integer, String> expanded = new LinkedHashMap<>();
    List<VolumeMountV1> mounts = container.mounts();
    for (int i = 0; i < mounts.size(); i++) {
      String expr = mounts.get(i).subPathExpr();
      if (expr != null && !expr.isEmpty()) {
        expanded.put(i, expand(expr, Expansion.variables(environment)));
      }
    }
    return expanded;
  }

  /** One expression, checked as the kubelet checks the result. */
  static String expand(String expr, Map<String, String> variables) throws EnvResolver.ConfigError {
    TreeSet<String> missing = new TreeSet<>();
    Map<String, String> lookup = new HashMap<>(variables) {
      private static final long serialVersionUID = 1L;

      @Override
      public String get(Object key) {
        String value = super.get(key);
        if (value == null || value.isEmpty()) {
          missing.add((String) key);
          return "";
        }
        return value;
      }
    };
    String subPath = Expansion.expand(expr, lookup);
    if (!missing.isEmpty()) {
      throw new EnvResolver.ConfigError("missing value for " + String.join(", ", missing));
    }
    if (subPath.startsWith("/")) {
      throw new EnvResolver.ConfigError("error SubPath `" + subPath + "` must not be an absolute path");
    }
    for (String segment : subPath.split("/")) {
      if (segment.equals("..")) {
        throw new EnvResolver.ConfigError("unable to provision SubPath `" + subPath + "`: must not contain '..'");
      }
    }
    if (subPath.indexOf('\0') >= 0) {
      throw new EnvResolver.ConfigError("unable to provision SubPath: it contains a NUL character");
    }
    return subPath;
  }

  /** The labels recording {@code expanded} on the engine container. */
  static Map<String, String> labels(Map<Integer, String> expanded) {
    Map<String, String> labels = new LinkedHashMap<>();
    expanded.forEach((index, subPath) -> labels.put(LABEL + index, subPath));
    return labels;
  }

  /** What {@link #labels} recorded on {@code container}; empty if nothing. */
  static Map<Integer, String> recorded(EngineContainer container) {
    Map<Integer, String> expanded = new LinkedHashMap<>();
    if (container.labels() != null) {
      container.labels().forEach((key, value) -> {
        if (key.startsWith(LABEL) && key.substring(LABEL.length()).matches("[0-9]{1,4}")) {
          expanded.put(Integer.parseInt(key.substring(LABEL.length())), value);
        }
      });
    }
    return expanded;
  }
}
