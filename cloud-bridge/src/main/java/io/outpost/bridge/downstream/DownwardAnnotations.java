package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The annotations a pod's node needs: only those its downward API reads ({@code metadata.annotations['key']} in an
 * env fieldRef, a downwardAPI volume or projected source), all of them if a file shows the whole map
 * ({@code metadata.annotations}), none otherwise. Annotations can be large (a last-applied configuration, a
 * controller's state), so a pod that does not read them does not carry them to the edge.
 */
final class DownwardAnnotations {
  private static final String WHOLE = "metadata.annotations";
  private static final String KEYED = "metadata.annotations['";

  private DownwardAnnotations() {}

  /** The annotations to send, or null if the pod reads none (or has none). */
  static Map<String, String> of(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    if (annotations == null || annotations.isEmpty() || pod.getSpec() == null) {
      return null;
    }
    Set<String> paths = fieldPaths(pod.getSpec());
    if (paths.contains(WHOLE)) {
      return new TreeMap<>(annotations);
    }
    Map<String, String> read = new TreeMap<>();
    for (String path : paths) {
      if (path.startsWith(KEYED) && path.endsWith("']")) {
        String key = path.substring(KEYED.length(), path.length() - 2);
        if (annotations.containsKey(key)) {
          read.put(key, annotations.get(key) == null ? "" : annotations.get(key));
        }
      }
    }
    return read.isEmpty() ? null : read;
  }

  /** Every downward-API field path the pod's containers and volumes read. */
  private static Set<String> fieldPaths(PodSpec spec) {
    Set<String> paths = new LinkedHashSet<>();
    List<Container> containers = new ArrayList<>();
    add(containers, spec.getInitContainers());
    add(containers, spec.getContainers());
    for (Container c : containers) {
      env(paths, c.getEnv());
    }
    if (spec.getEphemeralContainers() != null) {
      spec.getEphemeralContainers().forEach(e -> env(paths, e.getEnv()));
    }
    for (Volume v : spec.getVolumes() == null ? List.<Volume>of() : spec.getVolumes()) {
      if (v.getDownwardAPI() != null) {
        files(paths, v.getDownwardAPI().getItems());
      }
      if (v.getProjected() != null && v.getProjected().getSources() != null) {
        for (VolumeProjection source : v.getProjected().getSources()) {
          if (source.getDownwardAPI() != null) {
            files(paths, source.getDownwardAPI().getItems());
          }
        }
      }
    }
    return paths;
  }

  private static void add(List<Container> all, List<Container> some) {
    if (some != null) {
      all.addAll(some);
    }
  }

  private static void env(Set<String> paths, List<EnvVar> env) {
    if (env != null) {
      env.stream().filter(v -> v.getValueFrom() != null && v.getValueFrom().getFieldRef() != null)
          .map(v -> v.getValueFrom().getFieldRef().getFieldPath()).filter(p -> p != null).forEach(paths::add);
    }
  }

  private static void files(Set<String> paths, List<DownwardAPIVolumeFile> items) {
    if (items != null) {
      items.stream().filter(i -> i.getFieldRef() != null && i.getFieldRef().getFieldPath() != null)
          .map(i -> i.getFieldRef().getFieldPath()).forEach(paths::add);
    }
  }
}
