package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import java.io.Closeable;
import java.io.IOException;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Images for containers: present, or pulled without blocking a pass (the engine calls back, {@code wake} starts the
 * next pass), honouring the pull policy; failures become ErrImagePull / ImagePullBackOff waiting states and Events.
 */
final class Images {
  private static final Logger LOG = LoggerFactory.getLogger(Images.class);

  private final ContainerEngine engine;
  private final Runnable wake;
  private final EventSink events;
  private final PullSecrets secrets;

  Images(ContainerEngine engine, Runnable wake, EventSink events, PullSecrets secrets) {
    this.engine = engine;
    this.wake = wake;
    this.events = events;
    this.secrets = secrets;
  }

  /** As below, for the pod's sandbox (infra container): its events name the pod, never a container. */
  boolean ready(ObjectRef ref, String image, String pullPolicy, java.util.List<String> pullSecrets, PodState state,
      PodState.Memory memory, Instant now) {
    return ready(ref, null, image, pullPolicy, pullSecrets, state, memory, now);
  }

  /**
   * True if the image is there to create from; otherwise starts or follows a pull (with the credentials in the
   * pod's {@code pullSecrets} that match the image's registry) and sets the waiting state. Events go on
   * {@code fieldPath} (the container, as the kubelet's image manager records them), or on the pod if null. When a
   * container's image was there without a pull, says so as the kubelet does (image_manager.go
   * {@code EnsureImageExists}: Normal Pulled "Container image %q already present on machine").
   */
  boolean ready(ObjectRef ref, String fieldPath, String image, String pullPolicy, java.util.List<String> pullSecrets,
      PodState state, PodState.Memory memory, Instant now) {
    PodState.Pull pull = memory.pull;
    if (pull != null && !pulled(ref, fieldPath, pull, state, memory, now)) {
      return false;
    }
    boolean always = "Always".equals(pullPolicy);
    if ((always && !memory.pulled) || !present(image)) {
      if ("Never".equals(pullPolicy)) {
        ContainerStateV1 waiting = ContainerStateV1.waiting("ErrImageNeverPull",
            "Container image \"" + image + "\" is not present with pull policy of Never");
        if (!waiting.equals(memory.waiting)) {
          // image_manager.go: Warning ErrImageNeverPull with this message; kuberuntime: Warning Failed "Error: %v".
          events.warning(ref, "ErrImageNeverPull", waiting.message(), fieldPath);
          events.warning(ref, "Failed", "Error: ErrImageNeverPull", fieldPath);
        }
        memory.waiting = waiting;
        return false;
      }
      PullSecrets.Lookup lookup = secrets.find(ref.namespace(), pullSecrets, image);
      if (!lookup.missing().isEmpty() || !lookup.unreadable().isEmpty()) {
        java.util.List<String> names = new java.util.ArrayList<>(lookup.missing());
        names.addAll(lookup.unreadable());
        // As the kubelet: say so, and still try (the image may be public).
        events.warning(ref, "FailedToRetrieveImagePullSecret", "Unable to retrieve some image pull secrets ("
            + String.join(", ", names) + "); attempting to pull the image may not succeed.", fieldPath);
      }
      events.normal(ref, "Pulling", "Pulling image \"" + image + "\"", fieldPath);
      startPull(image, lookup.credentials().orElse(null), memory, now);
      if (memory.waiting == null) {
        memory.waiting = ContainerStateV1.waiting("ContainerCreating", "Pulling image \"" + image + "\"");
      }
      return false;
    }
    if (fieldPath != null && !memory.pulled) {
      events.normal(ref, "Pulled", alreadyPresent(image), fieldPath);
    }
    return true;
  }

  /** Follows a pull of this container's image: true once it succeeded (and says so), false while not (yet). */
  private boolean pulled(ObjectRef ref, String fieldPath, PodState.Pull pull, PodState state, PodState.Memory memory,
      Instant now) {
    if (!pull.done) {
      if (now.isAfter(pull.started.plus(PodWorker.PULL_TIMEOUT))) {
        cancelPull(memory);
        memory.pull = pull;
      }
      return false;
    }
    memory.pull = null;
    if (pull.error != null) {
      state.backoff.failed(now);
      memory.waiting = ContainerStateV1.waiting("ErrImagePull", pull.error);
      LOG.warn("Pulling image {} failed: {}", pull.image, pull.error);
      // image_manager.go: Warning Failed "Failed to pull image %q: %v"; kuberuntime: Warning Failed "Error: %v".
      events.warning(ref, "Failed", "Failed to pull image \"" + pull.image + "\": " + pull.error, fieldPath);
      events.warning(ref, "Failed", "Error: ErrImagePull", fieldPath);
      return false;
    }
    memory.pulled = true;
    // image_manager.go: "Successfully pulled image %q in %v (%v including waiting)" (the kubelet adds the image
    // size, which the engine's pull answer does not carry).
    String took = goDuration(java.time.Duration.between(pull.started, now));
    events.normal(ref, "Pulled", "Successfully pulled image \"" + pull.image + "\" in " + took + " ("
        + took + " including waiting)", fieldPath);
    return true;
  }

  /** The kubelet's message when a container's image needed no pull (image_manager.go, 1.32). */
  static String alreadyPresent(String image) {
    return "Container image \"" + image + "\" already present on machine";
  }

  /** A duration as Go's {@code time.Duration.String} prints it, to the millisecond: 850ms, 1.5s, 2m3.25s. */
  static String goDuration(java.time.Duration duration) {
    long millis = Math.max(0, duration.toMillis());
    if (millis == 0) {
      return "0s";
    }
    if (millis < 1000) {
      return millis + "ms";
    }
    long minutes = millis / 60_000;
    String seconds = java.math.BigDecimal.valueOf(millis % 60_000, 3).stripTrailingZeros().toPlainString();
    return (minutes > 0 ? minutes + "m" : "") + seconds + "s";
  }

  /** Images seen present, so that starting many pods of one image asks the engine once. */
  private final java.util.Set<String> present = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private boolean present(String image) {
    if (present.contains(image)) {
      return true;
    }
    boolean exists = engine.imageExists(image);
    if (exists) {
      present.add(image);
    }
    return exists;
  }

  /** Forgets that {@code image} was present (a create from it failed: perhaps it was removed meanwhile). */
  void forget(String image) {
    present.remove(image);
  }

  private void startPull(String image, PullSecrets.Credentials credentials, PodState.Memory memory, Instant now) {
    PodState.Pull pull = new PodState.Pull(image, now);
    memory.pull = pull;
    LOG.info("Pulling image {}{}", image, credentials == null ? "" : " as " + credentials.username() + " on "
        + credentials.registry());
    try {
      pull.handle = engine.pull(image, credentials, outcome -> {
        pull.finish(outcome);
        wake.run();
      });
    } catch (RuntimeException e) {
      pull.finish(DockerEngine.message(e));
    }
  }

  static void cancelPull(PodState.Memory memory) {
    PodState.Pull pull = memory.pull;
    memory.pull = null;
    if (pull != null && !pull.done) {
      Closeable handle = pull.handle;
      pull.finish("image pull timed out or was cancelled");
      try {
        if (handle != null) {
          handle.close();
        }
      } catch (IOException e) {
        LOG.debug("Cancelling the pull of {} failed", pull.image, e);
      }
    }
  }

}
