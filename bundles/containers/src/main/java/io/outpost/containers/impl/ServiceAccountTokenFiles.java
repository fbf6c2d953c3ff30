package io.outpost.containers.impl;

import io.outpost.containers.impl.AtomicDirectory.FileContent;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.ServiceAccountTokensV1;
import io.outpost.protocol.VolumeV1;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import io.outpost.store.DesiredState;

/**
 * The {@code serviceAccountToken} files of projected volumes: the bound token the cloud bridge requested for the pod
 * ({@link ServiceAccountTokensV1}, from the store), written with the volume's other files in one atomic swap, and
 * rewritten whenever a refreshed token reaches the store (the container keeps running and reads the new file).
 * A token not yet received keeps the container waiting ({@code CreateContainerConfigError}) as a missing Secret
 * does; a token held for another incarnation of the pod (an older uid under the same name) is never used.
 */
final class ServiceAccountTokenFiles {
  /** The kubelet's mode for a token when the pod has an fsGroup (the group gets {@code g+r} from the fsGroup). */
  static final int FS_GROUP_MODE = 0600;

  private final DesiredState store;

  ServiceAccountTokenFiles(DesiredState store) {
    this.store = store;
  }

  /** The token file for {@code source} of the pod's projected {@code volume}; waits if it has not arrived. */
  FileContent file(ObjectRef ref, PodV1 pod, VolumeV1 volume, VolumeV1.ServiceAccountTokenV1 source)
      throws EnvResolver.ConfigError {
    Optional<ServiceAccountTokensV1> held = store.serviceAccountTokens(ref.namespace(), ref.name());
    ServiceAccountTokensV1.TokenV1 token = held.filter(tokens -> ref.uid().equals(tokens.podUid()))
        .map(tokens -> tokens.token(volume.name(), source.path())).orElse(null);
    if (token == null) {
      throw new EnvResolver.ConfigError("serviceaccount token for volume \"" + volume.name() + "\" (path \""
          + source.path() + "\") not yet received from the cloud");
    }
    return new FileContent(token.token().getBytes(StandardCharsets.US_ASCII), mode(pod, volume));
  }

  /**
   * As the kubelet's projected volume: the volume's {@code defaultMode} (0644 if unset), or 0600 when the pod has an
   * fsGroup (the group then reads it through the fsGroup's {@code g+r}).
   */
  static int mode(PodV1 pod, VolumeV1 volume) {
    if (pod.security() != null && pod.security().fsGroup() != null) {
      return FS_GROUP_MODE;
    }
    Integer mode = volume.projected().defaultMode();
    return mode == null ? Volumes.DEFAULT_MODE : mode;
  }
}
