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

  /**
   * True if the image is there to create from; otherwise starts or follows a pull (with the credentials in the
   * pod's {@code pullSecrets} that match the image's registry) and sets the waiting state.
   */
  boolean ready(ObjectRef ref, String image, String pullPolicy, java.util.List<String> pullSecrets, PodState state,
      PodState.Memory memory, Instant now) {
    PodState.Pull pull = memory.pull;
    if (pull != null) {
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
        events.warning(ref, "Failed", "Failed to pull image \"" + pull.image + "\": " + pull.error);
        return false;
      }
      memory.pulled = true;
      events.normal(ref, "Pulled", "Successfully pulled image \"" + pull.image + "\"");
    }
    boolean always = "Always".equals(pullPolicy);
    if ((always && !memory.pulled) || !present(image)) {
      if ("Never".equals(pullPolicy)) {
        memory.waiting = ContainerStateV1.waiting("ErrImageNeverPull",
            "Container image \"" + image + "\" is not present with pull policy of Never");
        return false;
      }
      PullSecrets.Lookup lookup = secrets.find(ref.namespace(), pullSecrets, image);
      if (!lookup.missing().isEmpty() || !lookup.unreadable().isEmpty()) {
        java.util.List<String> names = new java.util.ArrayList<>(lookup.missing());
        names.addAll(lookup.unreadable());
        // As the kubelet: say so, and still try (the image may be public).
        events.warning(ref, "FailedToRetrieveImagePullSecret", "Unable to retrieve some image pull secrets ("
            + String.join(", ", names) + "); attempting to pull the image may not succeed.");
      }
      events.normal(ref, "Pulling", "Pulling image \"" + image + "\"");
      startPull(image, lookup.credentials().orElse(null), memory, now);
      if (memory.waiting == null) {
        memory.waiting = ContainerStateV1.waiting("ContainerCreating", "Pulling image \"" + image + "\"");
      }
      return false;
    }
    return true;
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
