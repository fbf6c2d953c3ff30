package io.outpost.bridge;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import java.util.List;

/** Translates a Kubernetes Pod into the part of it an edge node needs (protocol {@link PodV1}). */
final class PodTranslator {
  private PodTranslator() {}

  static ObjectRef ref(Pod pod) {
    return new ObjectRef(Downstream.KIND_POD, pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
        pod.getMetadata().getUid(), pod.getMetadata().getResourceVersion());
  }

  static String key(Pod pod) {
    return ObjectRef.key(Downstream.KIND_POD, pod.getMetadata().getNamespace(), pod.getMetadata().getName());
  }

  static PodV1 toEdge(Pod pod) {
    List<PodV1.ContainerV1> containers = pod.getSpec().getContainers().stream().map(PodTranslator::container)
        .toList();
    return new PodV1(pod.getSpec().getNodeName(), pod.getSpec().getRestartPolicy(),
        pod.getSpec().getTerminationGracePeriodSeconds(), pod.getMetadata().getDeletionTimestamp(),
        pod.getMetadata().getDeletionGracePeriodSeconds(), containers);
  }

  private static PodV1.ContainerV1 container(Container c) {
    List<PodV1.EnvVarV1> env = c.getEnv() == null ? List.of() : c.getEnv().stream()
        .filter(e -> e.getValueFrom() == null)
        .map(PodTranslator::env)
        .toList();
    return new PodV1.ContainerV1(c.getName(), c.getImage(), c.getImagePullPolicy(), emptyToNull(c.getCommand()),
        emptyToNull(c.getArgs()), c.getWorkingDir(), env.isEmpty() ? null : env);
  }

  private static PodV1.EnvVarV1 env(EnvVar var) {
    return new PodV1.EnvVarV1(var.getName(), var.getValue() == null ? "" : var.getValue());
  }

  private static List<String> emptyToNull(List<String> list) {
    return list == null || list.isEmpty() ? null : List.copyOf(list);
  }
}
