package io.outpost.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Podman API service ({@code podman system service}) on a private unix socket, using the project's
 * containers.conf. Serves the Docker Engine API. Cleans up only containers carrying a label the caller names.
 */
public final class Podman implements AutoCloseable {
  public static final String TEST_IMAGE = "localhost/busybox:test";

  private final Path socket;
  private final ManagedProcess service;

  private Podman(Path socket, ManagedProcess service) {
    this.socket = socket;
    this.service = service;
  }

  public static Map<String, String> environment() {
    return Map.of("CONTAINERS_CONF", Project.containersConf().toString());
  }

  public static Podman start(Path dir) {
    return start(dir, Map.of());
  }

  /** A service with extra environment (e.g. a private registries.conf). */
  public static Podman start(Path dir, Map<String, String> extraEnvironment) {
    return start(dir, extraEnvironment, List.of());
  }

  /**
   * A service started through {@code launcher} (e.g. {@link NetNamespaces#enter} for a service inside a network
   * namespace), with extra environment (a node's own {@code CONTAINERS_CONF} replaces the project's).
   */
  public static Podman start(Path dir, Map<String, String> extraEnvironment, List<String> launcher) {
    Map<String, String> env = new java.util.HashMap<>(environment());
    env.putAll(extraEnvironment);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path socket = dir.resolve("podman.sock");
    ManagedProcess service = ManagedProcess.start("podman-service",
        NetNamespaces.prefixed(launcher, List.of("podman", "system", "service", "--time=0", "unix://" + socket)),
        env, dir,
        dir.resolve("podman-service.log"));
    await("podman socket " + socket).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          if (!service.isAlive()) {
            throw new IllegalStateException("podman service exited: " + Files.readString(service.log()));
          }
          return Files.exists(socket);
        });
    return new Podman(socket, service);
  }

  public Path socket() {
    return socket;
  }

  /** The Docker-style host URL of the socket, e.g. {@code unix:///tmp/x/podman.sock}. */
  public String host() {
    return "unix://" + socket;
  }

  /** Runs the podman CLI with the project configuration and returns its standard output. */
  public static String cli(String... args) {
    return ManagedProcess.run(command(args), environment());
  }

  /** {@code podman <args>}. */
  public static List<String> command(String... args) {
    List<String> command = new ArrayList<>(List.of("podman"));
    command.addAll(List.of(args));
    return command;
  }

  /**
   * Runs the podman CLI as a client of this service ({@code podman --url unix://<socket> <args>}): the containers of
   * the service's own network namespace and network configuration. Returns its output; fails if it fails.
   */
  public String remote(String... args) {
    return ManagedProcess.run(remoteCommand(args), environment());
  }

  /** Like {@link #remote}, but returns how the command ended instead of failing on a non-zero exit. */
  public ManagedProcess.Outcome attemptRemote(java.time.Duration timeout, String... args) {
    return ManagedProcess.attempt(remoteCommand(args), environment(), timeout);
  }

  private List<String> remoteCommand(String... args) {
    List<String> command = new ArrayList<>(List.of("podman", "--url", host()));
    command.addAll(List.of(args));
    return command;
  }

  /** Ids of all containers (running or not) with {@code label=value}. */
  public static List<String> containersLabelled(String label, String value) {
    return ids("label=" + label + "=" + value);
  }

  /** Ids of all containers (running or not) that match every one of {@code filters} ({@code podman ps}). */
  private static List<String> ids(String... filters) {
    return ids(Podman::cli, filters);
  }

  private static List<String> ids(java.util.function.Function<String[], String> cli, String... filters) {
    List<String> args = new ArrayList<>(List.of("ps", "-a", "-q", "--no-trunc"));
    for (String filter : filters) {
      args.addAll(List.of("--filter", filter));
    }
    return cli.apply(args.toArray(String[]::new)).lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** The label value of a pod's infra container ({@code io.outpost.container}). */
  public static final String INFRA = "POD";

  /** Ids of the pod's own containers (not its infra container), running or not. */
  public static List<String> appContainersOf(String podUid) {
    List<String> ids = new ArrayList<>(containersLabelled("io.outpost.pod.uid", podUid));
    ids.removeAll(infraContainersOf(podUid));
    return ids;
  }

  /** Ids of the pod's infra container (one, or none before it is created). */
  public static List<String> infraContainersOf(String podUid) {
    return ids("label=io.outpost.pod.uid=" + podUid, "label=io.outpost.container=" + INFRA);
  }

  /**
   * Removes, forcibly, every container with {@code label=value}, and nothing else: infra containers last, after the
   * containers that joined their network namespace.
   */
  public static void removeContainersLabelled(String label, String value) {
    removeContainersLabelled(label, value, Podman::cli);
  }

  /** Like {@link #removeContainersLabelled(String, String)}, through {@link #remote} of this service. */
  public void removeRemoteContainersLabelled(String label, String value) {
    removeContainersLabelled(label, value, this::remote);
  }

  /** Like {@link #removeContainersLabelled(String, String)}, running podman with {@code args} through {@code cli}. */
  static void removeContainersLabelled(String label, String value,
      java.util.function.Function<String[], String> cli) {
    List<String> ids = new ArrayList<>(ids(cli, "label=" + label + "=" + value));
    List<String> infra = ids(cli, "label=" + label + "=" + value, "label=io.outpost.container=" + INFRA);
    // An ephemeral container (kubectl debug --target) holds its target's PID namespace: it goes first.
    List<String> ephemeral = ids(cli, "label=" + label + "=" + value, "label=io.outpost.ephemeral=true");
    ids.removeAll(infra);
    ids.removeAll(ephemeral);
    for (List<String> batch : List.of(ephemeral, ids, infra)) {
      if (!batch.isEmpty()) {
        List<String> args = new ArrayList<>(List.of("rm", "-f", "-t", "0"));
        args.addAll(batch);
        cli.apply(args.toArray(String[]::new));
      }
    }
  }

  @Override
  public void close() {
    service.close();
  }
}
