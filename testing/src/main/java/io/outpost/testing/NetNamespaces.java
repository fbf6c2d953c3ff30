package io.outpost.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Linux network namespaces and links through iproute2 ({@code ip}, run as root): creating, listing and deleting named
 * namespaces, running {@code ip} inside them, and the command prefixes that start a process inside one. Touches only
 * the namespaces and links its callers name.
 *
 * <p>Two ways in, because they differ in the mount namespace: {@link #exec} ({@code ip netns exec}) also gives the
 * process a private mount namespace with a fresh {@code /sys} of the namespace's devices, but without
 * {@code /sys/fs/cgroup}; {@link #enter} ({@code nsenter --net}) changes only the network namespace. A container engine
 * must use {@link #enter}: under {@code ip netns exec} runc fails with "no cgroup mount found in mountinfo", and the
 * engine's overlay and netns mounts would be private to its process.
 */
public final class NetNamespaces {
  private NetNamespaces() {}

  /** Creates the namespace; false if one of that name exists already (the name is then someone else's). */
  public static boolean add(String name) {
    try {
      ManagedProcess.run(List.of("ip", "netns", "add", name), Map.of());
      return true;
    } catch (IllegalStateException e) {
      if (exists(name)) {
        return false;
      }
      throw e;
    }
  }

  public static boolean exists(String name) {
    return list().contains(name);
  }

  /** The names of all named network namespaces ({@code ip netns list}). */
  public static List<String> list() {
    List<String> names = new ArrayList<>();
    for (String line : ManagedProcess.run(List.of("ip", "netns", "list"), Map.of()).lines().toList()) {
      String trimmed = line.trim();
      if (!trimmed.isEmpty()) {
        names.add(trimmed.split("\\s+")[0]);
      }
    }
    return names;
  }

  /** Deletes the namespace if it exists; the kernel removes its devices (and the peers of its veths) afterwards. */
  public static void delete(String name) {
    if (exists(name)) {
      ManagedProcess.run(List.of("ip", "netns", "delete", name), Map.of());
    }
  }

  /** PIDs of the processes whose network namespace is {@code name} ({@code ip netns pids}). */
  public static List<Long> pids(String name) {
    if (!exists(name)) {
      return List.of();
    }
    return ManagedProcess.run(List.of("ip", "netns", "pids", name), Map.of()).lines().map(String::trim)
        .filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
  }

  /** Runs {@code ip <args>} in the root namespace and returns its output. */
  public static String ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    return ManagedProcess.run(command, Map.of());
  }

  /** Runs {@code ip -n <namespace> <args>} and returns its output. */
  public static String ipIn(String namespace, String... args) {
    List<String> command = new ArrayList<>(List.of("ip", "-n", namespace));
    command.addAll(List.of(args));
    return ManagedProcess.run(command, Map.of());
  }

  /** True if a link of that name exists in the root namespace. */
  public static boolean linkExists(String name) {
    try {
      ManagedProcess.run(List.of("ip", "link", "show", "dev", name), Map.of());
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** {@code ip netns exec <namespace>}: private mount namespace, {@code /sys} of the namespace (see class doc). */
  public static List<String> exec(String namespace) {
    return List.of("ip", "netns", "exec", namespace);
  }

  /** {@code nsenter --net=/run/netns/<namespace>}: only the network namespace changes (see class doc). */
  public static List<String> enter(String namespace) {
    return List.of("nsenter", "--net=/run/netns/" + namespace);
  }

  /** {@code prefix} followed by {@code command}. */
  public static List<String> prefixed(List<String> prefix, List<String> command) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(command);
    return all;
  }
}
