package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The ConfigMaps and Secrets a pod references, as store keys: volumes (configMap, secret, projected sources), env
 * {@code valueFrom}, {@code envFrom} of every container, init and ephemeral container, and imagePullSecrets. These,
 * and only these, are routed to the pod's node.
 */
final class References {
  private References() {}

  static Set<String> of(Pod pod) {
    Set<String> keys = new LinkedHashSet<>();
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return keys;
    }
    String ns = pod.getMetadata().getNamespace();
    if (spec.getVolumes() != null) {
      spec.getVolumes().forEach(volume -> {
        if (volume.getConfigMap() != null) {
          configMap(keys, ns, volume.getConfigMap().getName());
        }
        if (volume.getSecret() != null) {
          secret(keys, ns, volume.getSecret().getSecretName());
        }
        if (volume.getProjected() != null && volume.getProjected().getSources() != null) {
          for (VolumeProjection source : volume.getProjected().getSources()) {
            if (source.getConfigMap() != null) {
              configMap(keys, ns, source.getConfigMap().getName());
            }
            if (source.getSecret() != null) {
              secret(keys, ns, source.getSecret().getName());
            }
          }
        }
      });
    }
    List<Container> containers = new ArrayList<>();
    if (spec.getInitContainers() != null) {
      containers.addAll(spec.getInitContainers());
    }
    if (spec.getContainers() != null) {
      containers.addAll(spec.getContainers());
    }
    if (spec.getEphemeralContainers() != null) {
      spec.getEphemeralContainers().forEach(e -> {
        env(keys, ns, e.getEnv(), e.getEnvFrom());
      });
    }
    for (Container container : containers) {
      env(keys, ns, container.getEnv(), container.getEnvFrom());
    }
    if (spec.getImagePullSecrets() != null) {
      for (LocalObjectReference secret : spec.getImagePullSecrets()) {
        secret(keys, ns, secret.getName());
      }
    }
    return keys;
  }

  private static void env(Set<String> keys, String ns, List<EnvVar> env, List<EnvFromSource> envFrom) {
    if (env != null) {
      for (EnvVar var : env) {
        if (var.getValueFrom() != null) {
          if (var.getValueFrom().getConfigMapKeyRef() != null) {
            configMap(keys, ns, var.getValueFrom().getConfigMapKeyRef().getName());
          }
          if (var.getValueFrom().getSecretKeyRef() != null) {
            secret(keys, ns, var.getValueFrom().getSecretKeyRef().getName());
          }
        }
      }
    }
    if (envFrom != null) {
      for (EnvFromSource source : envFrom) {
        if (source.getConfigMapRef() != null) {
          configMap(keys, ns, source.getConfigMapRef().getName());
        }
        if (source.getSecretRef() != null) {
          secret(keys, ns, source.getSecretRef().getName());
        }
      }
    }
  }

  private static void configMap(Set<String> keys, String ns, String name) {
    if (name != null && !name.isEmpty()) {
      keys.add(ObjectRef.key(Downstream.KIND_CONFIG_MAP, ns, name));
    }
  }

  private static void secret(Set<String> keys, String ns, String name) {
    if (name != null && !name.isEmpty()) {
      keys.add(ObjectRef.key(Downstream.KIND_SECRET, ns, name));
    }
  }
}
