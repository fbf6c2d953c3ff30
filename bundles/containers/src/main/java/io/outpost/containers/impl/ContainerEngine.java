package io.outpost.containers.impl;

import java.io.Closeable;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The part of the Docker Engine API the manager uses. Every method but {@link #pull} is a blocking request that
 * throws {@link EngineException} on failure; none of them waits for a container to change state.
 */
interface ContainerEngine extends AutoCloseable {

  /** Pings the engine and returns its version; throws if it cannot be reached. */
  String version();

  /** Every container, running or not, carrying {@code io.outpost.node=<node>}, inspected. */
  List<EngineContainer> list(String node);

  /** The containers of one pod ({@code io.outpost.pod.uid=<uid>}) on this node, inspected. */
  List<EngineContainer> list(String node, String podUid);

  Optional<EngineContainer> inspect(String id);

  boolean imageExists(String image);

  /** The user an image runs as ({@code Config.User}: {@code user[:group]}, empty if it sets none). */
  String imageUser(String image);

  /**
   * Starts pulling an image and returns at once. {@code done} is called once, on an engine thread, with null on
   * success or the engine's error message. Closing the handle abandons the pull. {@code credentials} may be null
   * (anonymous).
   */
  Closeable pull(String image, PullSecrets.Credentials credentials, Consumer<String> done);

  /** Creates a container and returns its id. */
  String create(ContainerSpec spec);

  void start(String id);

  /** Sends a signal (e.g. {@code SIGTERM}) to a running container; does not wait. */
  void kill(String id, String signal);

  void remove(String id, boolean force);

  /**
   * Creates the named volume of the engine's {@code local} driver with {@code driverOptions} (e.g. a size-limited
   * tmpfs) and {@code labels}, unless a volume of that name exists.
   */
  void createVolume(String name, java.util.Map<String, String> driverOptions, java.util.Map<String, String> labels);

  /** The volumes labelled {@code io.outpost.node=<node>}: name → their {@code io.outpost.pod.uid} label. */
  java.util.Map<String, String> volumes(String node);

  /** Removes a volume (nothing if it is gone); fails while a container uses it. */
  void removeVolume(String name);

  /** The engine network {@code name} (its IPv4 subnet and gateway), or empty if there is none. */
  Optional<EngineNetworks.Network> network(String name);

  /**
   * Creates a bridge network {@code name} with one IPv4 {@code subnet} and {@code gateway} on the Linux bridge
   * {@code bridge}, carrying {@code labels}.
   */
  void createNetwork(String name, String subnet, String gateway, String bridge, java.util.Map<String, String> labels);

  /** Removes the network {@code name} (nothing if it is gone); fails while a container uses it. */
  void removeNetwork(String name);

  /** The ids of every container (any owner, running or not) attached to the network {@code name}. */
  List<String> containersOn(String name);

  /** The container's log, stdout and stderr interleaved, its last {@code tail} lines (all if negative), at most
   *  {@code maxBytes} (the newest kept). */
  String logs(String id, int tail, int maxBytes);

  /**
   * Follows the engine's container events (start, die, …) for this node's containers and calls {@code onEvent} for
   * each with the container's pod uid label (null if it has none); {@code onEnd} once the stream ends or fails.
   * Closing the handle ends it.
   */
  Closeable events(String node, Consumer<String> onEvent, Consumer<String> onEnd);

  /** Runs a command in a running container and waits at most {@code timeout} for it: its exit code, or null if it
   *  did not finish in time. */
  Integer exec(String id, List<String> command, java.time.Duration timeout);

  /**
   * The container's CPU and memory figures now ({@code /containers/{id}/stats}, one shot); empty if the container is
   * gone or not running.
   */
  Optional<EngineStats> stats(String id);

  @Override
  void close();
}
