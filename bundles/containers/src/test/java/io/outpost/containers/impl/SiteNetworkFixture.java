package io.outpost.containers.impl;

import io.outpost.containers.PodNetwork;
import io.outpost.testing.Podman;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link PodmanFixture} with pod networks of the test's own: a unique engine network name and Linux bridge per test,
 * on subnets {@code 10.250.<random>.0/24} that no engine network uses yet. After each test the test's containers go
 * first, then its engine networks and bridges — nothing else.
 */
abstract class SiteNetworkFixture extends PodmanFixture {
  /** A pod network as the networking feature would register it. */
  record TestNetwork(String engineNetwork, String bridge, String subnet, String gateway, String clusterDns)
      implements PodNetwork {}

  protected String networkName;
  protected String bridge;
  private final List<String> networks = new ArrayList<>();

  @BeforeEach
  void nameNetwork() {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    networkName = "outpost-test-" + suffix;
    bridge = "opt" + suffix; // 11 characters: Linux allows 15
    networks.add(networkName);
  }

  @AfterEach
  void removeNetworks() {
    Podman.removeContainersLabelled(Naming.NODE, node); // they hold the network
    for (String name : networks) {
      if (!Podman.cli("network", "ls", "--format", "{{.Name}}").lines().filter(name::equals).toList().isEmpty()) {
        Podman.cli("network", "rm", name);
      }
    }
    if (!ip("-br", "link").lines().filter(l -> l.startsWith(bridge + " ")).toList().isEmpty()) {
      ip("link", "del", bridge);
    }
    removeIsolationRules(bridge);
  }

  /**
   * The CNI firewall plugin's isolation rules for {@code bridge} ({@code isolate: true}, which Podman's Docker API
   * sets): the plugin adds them when a container first joins the bridge and never removes them.
   */
  private static void removeIsolationRules(String bridge) {
    for (String chain : List.of("CNI-ISOLATION-STAGE-1", "CNI-ISOLATION-STAGE-2")) {
      String listing;
      try {
        listing = io.outpost.testing.ManagedProcess.run(List.of("iptables", "-w", "-L", chain, "-n", "-v",
            "--line-numbers"), java.util.Map.of());
      } catch (IllegalStateException e) {
        continue; // no such chain: no container ever joined an isolated bridge
      }
      List<String> numbers = new ArrayList<>(listing.lines().filter(l -> l.contains(" " + bridge + " ")
          || l.contains("!" + bridge + " ")).map(l -> l.trim().split("\\s+")[0]).toList());
      java.util.Collections.reverse(numbers); // the last first: deleting one renumbers those after it
      for (String number : numbers) {
        io.outpost.testing.ManagedProcess.run(List.of("iptables", "-w", "-D", chain, number), java.util.Map.of());
      }
    }
  }

  /** A pod network on this test's network name and bridge with a fresh subnet; {@code clusterDns} may be null. */
  protected TestNetwork network(String clusterDns) {
    String prefix = freePrefix();
    return new TestNetwork(networkName, bridge, prefix + "0/24", prefix + "1", clusterDns);
  }

  /** {@code 10.250.<n>.} for an {@code n} no engine network's subnet uses. */
  protected static String freePrefix() {
    Set<String> used = new HashSet<>();
    for (String name : Podman.cli("network", "ls", "--format", "{{.Name}}").lines().map(String::trim)
        .filter(s -> !s.isEmpty()).toList()) {
      used.addAll(Podman.cli("network", "inspect", "--format", "{{range .Subnets}}{{.Subnet}} {{end}}", name).trim()
          .lines().flatMap(l -> List.of(l.split(" ")).stream()).toList());
    }
    while (true) {
      String prefix = "10.250." + ThreadLocalRandom.current().nextInt(1, 255) + ".";
      if (used.stream().noneMatch(s -> s.startsWith(prefix))) {
        return prefix;
      }
    }
  }

  /** Runs {@code ip} with {@code args} and returns its output. */
  protected static String ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    return io.outpost.testing.ManagedProcess.run(command, java.util.Map.of());
  }
}
