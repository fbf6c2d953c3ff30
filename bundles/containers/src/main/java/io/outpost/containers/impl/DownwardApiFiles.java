package io.outpost.containers.impl;

import io.outpost.containers.impl.AtomicDirectory.FileContent;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.VolumeV1.DownwardApiV1;
import io.outpost.protocol.VolumeV1.DownwardFileV1;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The files of a {@code downwardAPI} volume or projected source, as the kubelet's downwardAPI volume plugin collects
 * them ({@code downwardapi.CollectData}): one file per item, holding a field of the pod's metadata
 * ({@link FieldPaths#metadata}) or a container's resource ({@link ResourceFields}), with the item's mode, else the
 * volume's {@code defaultMode}, else 0644. {@link Volumes} writes them with the ConfigMap and Secret files, atomically,
 * and rewrites them whenever the pod's labels or annotations change while its containers run.
 */
final class DownwardApiFiles {
  private final Supplier<Map<String, String>> allocatable;

  /** {@code allocatable}: the node's allocatable resources (null when unknown), for limits a container leaves unset. */
  DownwardApiFiles(Supplier<Map<String, String>> allocatable) {
    this.allocatable = allocatable;
  }

  /** Adds the files of {@code source} to {@code files}; a field or resource that cannot be read fails them all. */
  void add(Map<String, FileContent> files, ObjectRef ref, PodV1 pod, DownwardApiV1 source, Integer defaultMode)
      throws EnvResolver.ConfigError {
    int mode = defaultMode == null ? Volumes.DEFAULT_MODE : defaultMode;
    for (DownwardFileV1 item : source.files()) {
      String value;
      if (item.fieldPath() != null) {
        value = FieldPaths.metadata(ref, pod, item.fieldPath(), "downwardAPI item " + item.path());
      } else {
        try {
          value = ResourceFields.value(item.resourceFieldRef(), pod, null, allocatable.get());
        } catch (EnvResolver.ConfigError e) {
          throw new EnvResolver.ConfigError(e.getMessage() + " (in downwardAPI item " + item.path() + ")");
        }
      }
      files.put(item.path(), new FileContent(value.getBytes(StandardCharsets.UTF_8),
          item.mode() == null ? mode : item.mode()));
    }
  }
}
