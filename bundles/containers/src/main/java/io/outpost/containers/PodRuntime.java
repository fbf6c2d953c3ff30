package io.outpost.containers;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import java.time.Instant;

/**
 * One pod as the container manager sees it.
 *
 * @param ref the pod as the store holds it
 * @param status the status last computed from the engine (null before the first pass that reached the engine)
 * @param failedAttempts consecutive failed attempts (pull, create, start or restart) since the last success
 * @param nextAttempt when the next attempt is allowed, or null if the pod is not backing off
 */
public record PodRuntime(ObjectRef ref, PodStatusReport status, int failedAttempts, Instant nextAttempt) {}
