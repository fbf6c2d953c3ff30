package io.outpost.containers.impl;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.NetworkSettings;
import java.util.Map;

/** What the container manager keeps of an engine's inspect answer. */
final class InspectedContainers {
  private InspectedContainers() {}

  static EngineContainer container(InspectContainerResponse inspect) {
    InspectContainerResponse.ContainerState state = inspect.getState();
    boolean running = state != null && Boolean.TRUE.equals(state.getRunning());
    Map<String, String> labels = inspect.getConfig() == null || inspect.getConfig().getLabels() == null
        ? Map.of() : Map.copyOf(inspect.getConfig().getLabels());
    String name = inspect.getName() == null ? null : inspect.getName().replaceFirst("^/", "");
    return new EngineContainer(inspect.getId(), name, labels, state == null ? null : state.getStatus(), running,
        state == null ? null : state.getExitCode(), state != null && Boolean.TRUE.equals(state.getOOMKilled()),
        state == null || state.getError() == null || state.getError().isBlank() ? null : state.getError(),
        Timestamps.rfc3339(inspect.getCreated()), state == null ? null : Timestamps.rfc3339(state.getStartedAt()),
        state == null ? null : Timestamps.rfc3339(state.getFinishedAt()), inspect.getImageId(),
        ip(inspect.getNetworkSettings()), state == null ? null : Timestamps.exact(state.getStartedAt()));
  }

  private static String ip(NetworkSettings settings) {
    if (settings == null) {
      return null;
    }
    if (settings.getIpAddress() != null && !settings.getIpAddress().isBlank()) {
      return settings.getIpAddress();
    }
    if (settings.getNetworks() != null) {
      for (ContainerNetwork network : settings.getNetworks().values()) {
        if (network.getIpAddress() != null && !network.getIpAddress().isBlank()) {
          return network.getIpAddress();
        }
      }
    }
    return null;
  }
}
