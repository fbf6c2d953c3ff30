package io.outpost.containers;

import java.time.Instant;

/**
 * Reachability of the container engine.
 *
 * @param host the engine address, e.g. {@code unix:///run/podman/podman.sock}
 * @param reachable whether the last request to the engine got an answer
 * @param message the engine's version when reachable, the error otherwise; null before the first attempt
 * @param since when the engine entered this state
 */
public record EngineStatus(String host, boolean reachable, String message, Instant since) {}
