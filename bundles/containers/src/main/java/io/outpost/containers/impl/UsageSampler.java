package io.outpost.containers.impl;

import io.outpost.containers.ResourceUsage;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Samples {@link ResourceUsage}: the node from {@link NodeUsageProbe}, then every running container of this node's
 * pods (by the manager's labels; infra containers are the pods' sandboxes, not their containers) from the engine's
 * stats, one request each. A container that stops between the list and its stats is left out.
 */
final class UsageSampler {
  private final ContainerEngine engine;
  private final String node;
  private final NodeUsageProbe probe;
  private final Clock clock;

  UsageSampler(ContainerEngine engine, String node, NodeUsageProbe probe, Clock clock) {
    this.engine = engine;
    this.node = node;
    this.probe = probe;
    this.clock = clock;
  }

  ResourceUsage.Snapshot sample() {
    List<EngineContainer> containers;
    try {
      containers = engine.list(node);
    } catch (EngineException e) {
      throw new IllegalStateException("the container engine cannot be asked: " + e.getMessage(), e);
    }
    ResourceUsage.NodeUsage nodeUsage = probe.sample(clock.instant());
    Map<String, List<ResourceUsage.ContainerUsage>> byPod = new LinkedHashMap<>();
    Map<String, EngineContainer> anyOfPod = new LinkedHashMap<>();
    Map<String, Instant> sandboxStart = new LinkedHashMap<>();
    for (EngineContainer container : containers) {
      String uid = container.label(Naming.POD_UID);
      String name = container.label(Naming.CONTAINER);
      if (uid == null || name == null || !container.running()) {
        continue;
      }
      if (Sandbox.isInfra(container)) {
        if (container.started() != null) {
          sandboxStart.put(uid, container.started());
        }
        continue;
      }
      Optional<EngineStats> stats;
      try {
        stats = engine.stats(container.id());
      } catch (EngineException e) {
        continue; // gone meanwhile, or the engine could not say: this container is left out of this sample
      }
      stats.ifPresent(s -> {
        byPod.computeIfAbsent(uid, k -> new ArrayList<>()).add(new ResourceUsage.ContainerUsage(name,
            container.started(), s.read(), s.cpuNanos(), s.workingSet(), s.memoryUsage()));
        anyOfPod.putIfAbsent(uid, container);
      });
    }
    List<ResourceUsage.PodUsage> pods = new ArrayList<>();
    byPod.forEach((uid, usage) -> {
      EngineContainer any = anyOfPod.get(uid);
      usage.sort(Comparator.comparing(ResourceUsage.ContainerUsage::name));
      Instant start = sandboxStart.getOrDefault(uid, usage.stream().map(ResourceUsage.ContainerUsage::startTime)
          .filter(java.util.Objects::nonNull).min(Comparator.naturalOrder()).orElse(null));
      pods.add(new ResourceUsage.PodUsage(any.label(Naming.POD_NAMESPACE), any.label(Naming.POD_NAME), uid, start,
          List.copyOf(usage)));
    });
    pods.sort(Comparator.comparing(ResourceUsage.PodUsage::namespace).thenComparing(ResourceUsage.PodUsage::name));
    return new ResourceUsage.Snapshot(nodeUsage, List.copyOf(pods));
  }
}
