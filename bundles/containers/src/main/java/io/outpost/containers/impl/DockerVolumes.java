package io.outpost.containers.impl;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The volume requests of {@link DockerEngine}: named volumes of the engine's {@code local} driver. */
final class DockerVolumes {
  private final DockerClient client;

  DockerVolumes(DockerClient client) {
    this.client = client;
  }

  void create(String name, Map<String, String> driverOptions, Map<String, String> labels) {
    try {
      DockerEngine.call("inspect volume " + name, () -> client.inspectVolumeCmd(name).exec());
      return;
    } catch (EngineException e) {
      if (!(e.getCause() instanceof NotFoundException)) {
        throw e;
      }
    }
    DockerEngine.call("create volume " + name, () -> client.createVolumeCmd().withName(name).withDriver("local")
        .withDriverOpts(driverOptions).withLabels(labels).exec());
  }

  Map<String, String> list(String node) {
    List<InspectVolumeResponse> volumes = DockerEngine.call("list volumes", () -> client.listVolumesCmd()
        .withFilter("label", List.of(Naming.NODE + "=" + node)).exec().getVolumes());
    Map<String, String> byName = new LinkedHashMap<>();
    if (volumes != null) {
      for (InspectVolumeResponse volume : volumes) {
        Map<String, String> labels = volume.getLabels() == null ? Map.of() : volume.getLabels();
        if (node.equals(labels.get(Naming.NODE))) { // the engine filtered; checked again as for containers
          byName.put(volume.getName(), labels.get(Naming.POD_UID));
        }
      }
    }
    return byName;
  }

  void remove(String name) {
    try {
      DockerEngine.call("remove volume " + name, () -> client.removeVolumeCmd(name).exec());
    } catch (EngineException e) {
      if (!(e.getCause() instanceof NotFoundException)) {
        throw e;
      }
    }
  }
}
