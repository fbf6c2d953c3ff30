package io.outpost.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A simulated site LAN for edge nodes, built from network namespaces (as root): a LAN namespace with a Linux bridge,
 * one namespace per node with a veth into the LAN ({@code eth0}, {@code 10.77.<run>.<i+1>/24}), and a veth from the
 * root namespace into the LAN ({@link #cloudAddress()}, {@code 10.77.<run>.250}) through which the nodes reach the
 * cloud side (broker). The LAN namespace itself has {@link #lanAddress()} ({@code .254}), a client on the LAN.
 *
 * <p>Every name carries {@link #PREFIX} and the run number (1–254), claimed atomically with an owner file under
 * {@code /tmp/outpost-sitelan}, so parallel runs never share addresses or names. {@link #close()} removes the run's
 * namespaces, links and directory; {@link #create} first removes what runs whose owner process is gone left behind
 * (their containers through Podman with the node's own configuration, the processes in their namespaces by PID,
 * their namespaces and links). Only namespaces and links with the prefix are ever touched.
 */
public final class SiteLan implements AutoCloseable {
  /** Prefix of every namespace and root link this class creates: {@code opsl<run>-lan}, {@code opsl<run>-up}. */
  public static final String PREFIX = "opsl";
  static final Path STATE = Path.of("/tmp/outpost-sitelan");
  private static final int CLOUD_HOST = 250;
  private static final int LAN_HOST = 254;

  private final int run;
  private final Path dir;
  private final List<String> nodeNames;
  private volatile boolean cut;

  private SiteLan(int run, Path dir, List<String> nodeNames) {
    this.run = run;
    this.dir = dir;
    this.nodeNames = List.copyOf(nodeNames);
  }

  /**
   * Claims a free run number and builds the LAN with one node namespace per name in {@code nodes} (the names become
   * {@code s<run>-<name>}, unique among parallel runs). Needs root, iproute2 and the bridge and veth drivers.
   */
  public static SiteLan create(List<String> nodes) {
    if (nodes.isEmpty() || nodes.size() > 200) {
      throw new IllegalArgumentException("a site LAN has 1 to 200 nodes, not " + nodes.size());
    }
    StaleRuns.removeAll();
    List<Integer> runs = new ArrayList<>(IntStream.rangeClosed(1, 254).boxed().toList());
    Collections.shuffle(runs);
    for (int run : runs) {
      if (claim(run)) {
        SiteLan lan = new SiteLan(run, STATE.resolve(Integer.toString(run)), nodes.stream()
            .map(name -> "s" + run + "-" + name).toList());
        try {
          lan.build();
          return lan;
        } catch (RuntimeException e) {
          lan.close();
          throw e;
        }
      }
    }
    throw new IllegalStateException("no free site LAN run number: 254 runs in progress under " + STATE);
  }

  /** Takes run number {@code run} with an owner file naming this process, or false if a live run has it. */
  private static boolean claim(int run) {
    try {
      Files.createDirectories(STATE);
      Path mine = Files.createTempFile(STATE, "claim", ".tmp");
      try {
        Files.writeString(mine, Owner.current().line());
        Files.createLink(StaleRuns.ownerFile(run), mine); // atomic: fails if the run is taken
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } finally {
        Files.deleteIfExists(mine);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot claim a site LAN run under " + STATE, e);
    }
  }

  private void build() {
    try {
      Files.createDirectories(dir.resolve("nodes"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String lan = lanNamespace();
    require(NetNamespaces.add(lan), lan);
    NetNamespaces.ipIn(lan, "link", "set", "lo", "up");
    NetNamespaces.ipIn(lan, "link", "add", "br0", "type", "bridge");
    NetNamespaces.ipIn(lan, "link", "set", "br0", "up");
    NetNamespaces.ipIn(lan, "addr", "add", lanAddress() + "/24", "dev", "br0");
    for (int i = 0; i < nodeNames.size(); i++) {
      String ns = namespace(i);
      require(NetNamespaces.add(ns), ns);
      // Created inside the node's namespace, eth0 gets its first interface index: the node's first address.
      NetNamespaces.ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", "n" + i, "netns", lan);
      NetNamespaces.ipIn(lan, "link", "set", "n" + i, "master", "br0", "up");
      NetNamespaces.ipIn(ns, "link", "set", "lo", "up");
      NetNamespaces.ipIn(ns, "addr", "add", address(i) + "/24", "dev", "eth0");
      NetNamespaces.ipIn(ns, "link", "set", "eth0", "up");
    }
    NetNamespaces.ip("link", "add", cloudLink(), "type", "veth", "peer", "name", "up0", "netns", lan);
    NetNamespaces.ipIn(lan, "link", "set", "up0", "master", "br0", "up");
    NetNamespaces.ip("addr", "add", cloudAddress() + "/24", "dev", cloudLink());
    NetNamespaces.ip("link", "set", cloudLink(), "up");
  }

  private static void require(boolean created, String namespace) {
    if (!created) {
      throw new IllegalStateException("network namespace " + namespace + " exists already: another run owns it");
    }
  }

  public int run() {
    return run;
  }

  /** This run's directory under {@code /tmp/outpost-sitelan}: node directories go under {@code nodes/<name>}. */
  public Path dir() {
    return dir;
  }

  public int size() {
    return nodeNames.size();
  }

  /** The node's name, {@code s<run>-<name given to create>}. */
  public String nodeName(int i) {
    return nodeNames.get(i);
  }

  /** The node's working directory (for its Podman service, containers.conf and Karaf home). */
  public Path nodeDir(int i) {
    return dir.resolve("nodes").resolve(nodeName(i));
  }

  public String namespace(int i) {
    return PREFIX + run + "-n" + i;
  }

  public String lanNamespace() {
    return PREFIX + run + "-lan";
  }

  /** The root namespace's end of the cloud link. */
  public String cloudLink() {
    return PREFIX + run + "-up";
  }

  /** The node's address on the LAN. */
  public String address(int i) {
    return "10.77." + run + "." + (i + 1);
  }

  /** The root namespace's address on the LAN: where nodes reach the broker (the cloud). */
  public String cloudAddress() {
    return "10.77." + run + "." + CLOUD_HOST;
  }

  /** The LAN namespace's own address: a client on the site's LAN. */
  public String lanAddress() {
    return "10.77." + run + "." + LAN_HOST;
  }

  /** Cuts the link to the cloud (the root end of the cloud veth goes down): the LAN between nodes stays up. */
  public void cut() {
    NetNamespaces.ip("link", "set", cloudLink(), "down");
    cut = true;
  }

  /** Brings the cloud link back up. */
  public void restore() {
    NetNamespaces.ip("link", "set", cloudLink(), "up");
    cut = false;
  }

  public boolean isCut() {
    return cut;
  }

  /**
   * Records a process of this run that lives outside its namespaces (the broker on the cloud side, say): if this
   * run's JVM dies, the next run ends it, provided its command line still names this run's directory.
   */
  public void adopt(long pid) {
    try {
      Files.writeString(dir.resolve(StaleRuns.PIDS_FILE), pid + "\n", java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a command in the LAN namespace ({@code ip netns exec}) and returns how it ended. */
  public ManagedProcess.Outcome inLan(Duration timeout, String... command) {
    return ManagedProcess.attempt(NetNamespaces.prefixed(NetNamespaces.exec(lanNamespace()), List.of(command)),
        Map.of(), timeout);
  }

  /**
   * Removes the namespaces (with their veths), the cloud link and the run's directory, then gives the run number
   * back. Containers and processes of the nodes must be gone already ({@link SiteNode#close()}); what is left of
   * them is removed as for a crashed run.
   */
  @Override
  public void close() {
    StaleRuns.remove(run, nodeNames.size());
    await("site LAN links of run " + run + " gone").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100)).until(() -> !NetNamespaces.linkExists(cloudLink()));
  }

  @Override
  public String toString() {
    return "site LAN " + run + " (" + lanNamespace() + ", nodes " + nodeNames + ")";
  }
}
