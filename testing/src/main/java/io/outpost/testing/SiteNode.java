package io.outpost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One edge node of a {@link SiteLan}, in the node's own network namespace: its own Podman API service (started with
 * {@code nsenter --net}, see {@link NetNamespaces}) with a containers.conf of its own, and the built Karaf
 * distribution (started with {@code ip netns exec}) pointed at that service's socket. Everything the node does on the
 * network happens in its namespace: its address on the LAN, its engine network and bridge, routes, nftables.
 *
 * <p>Per node, derived from the project's {@code etc/podman/containers.conf}: {@code network_config_dir} (each node
 * creates its engine network {@code outpost} with its own subnet; with one directory the nodes would see and reuse
 * each other's definition). Shared with every other Podman on the machine, and harmless: image and container storage
 * (containers are told apart by the node label {@code io.outpost.node}, which node names unique per run keep apart),
 * and CNI's host-local IPAM directory {@code /var/lib/cni/networks/outpost} (one file per leased address; nodes
 * lease from disjoint subnets). {@link #close()} removes the node's containers with the podman CLI inside the node's
 * namespace and with its configuration, so their networks are torn down where they were set up.
 */
public final class SiteNode implements AutoCloseable {
  static final String CONTAINERS_CONF = "containers.conf";
  static final String NAMESPACE_FILE = "namespace";
  static final String NODE_LABEL = "io.outpost.node";

  private final SiteLan lan;
  private final int index;
  private final Path dir;
  private final Podman podman;
  private final EdgeNode edge;

  private SiteNode(SiteLan lan, int index, Path dir, Podman podman, EdgeNode edge) {
    this.lan = lan;
    this.index = index;
    this.dir = dir;
    this.podman = podman;
    this.edge = edge;
  }

  /**
   * Starts node {@code index} of the LAN: writes its configuration, starts its Podman service in its namespace and
   * installs the distribution (with a console user) configured for {@code brokerUrl}. Karaf is not started yet:
   * the caller may change its configuration first, then calls {@link #start()}.
   */
  public static SiteNode install(SiteLan lan, int index, String brokerUrl) {
    Path dir = lan.nodeDir(index);
    String ns = lan.namespace(index);
    try {
      Files.createDirectories(dir.resolve("cni"));
      Files.writeString(dir.resolve(NAMESPACE_FILE), ns + "\n");
      Path conf = dir.resolve(CONTAINERS_CONF);
      Files.writeString(conf, containersConf(Files.readString(Project.containersConf()), dir.resolve("cni")));
      Map<String, String> env = Map.of("CONTAINERS_CONF", conf.toString());
      Podman podman = Podman.start(dir.resolve("podman"), env, NetNamespaces.enter(ns));
      try {
        EdgeNode edge = EdgeNode.install(dir.resolve("edge"), lan.nodeName(index), brokerUrl, podman.host())
            .withConsoleUser().withLauncher(NetNamespaces.exec(ns)).withEnvironment(env);
        return new SiteNode(lan, index, dir, podman, edge);
      } catch (RuntimeException | IOException e) {
        podman.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot set up node " + lan.nodeName(index) + " in " + dir, e);
    }
  }

  /**
   * The project's containers.conf with the node's own CNI configuration directory: appended to a {@code [network]}
   * table if the project's file has one, as a new table otherwise.
   */
  static String containersConf(String project, Path cniDir) {
    String setting = "network_config_dir = \"" + cniDir + "\"";
    String header = "# " + "derived from etc/podman/containers.conf by io.outpost.testing.SiteNode: the node's own"
        + " network configuration directory\n";
    if (project.lines().anyMatch(line -> line.trim().equals("[network]"))) {
      return header + project.replaceFirst("(?m)^\\s*\\[network\\]\\s*$", "[network]\n" + setting);
    }
    return header + project + (project.endsWith("\n") ? "" : "\n") + "\n[network]\n" + setting + "\n";
  }

  /** Starts (or, after {@link #kill()}, starts again) the node's Karaf inside its namespace. */
  public SiteNode start() {
    edge.start();
    return this;
  }

  /** {@code kill -9} of the node's Karaf process tree; its Podman service and containers keep running. */
  public void kill() {
    edge.kill();
  }

  public String name() {
    return lan.nodeName(index);
  }

  public int index() {
    return index;
  }

  public String namespace() {
    return lan.namespace(index);
  }

  /** The node's address on the site LAN (its InternalIP). */
  public String address() {
    return lan.address(index);
  }

  public EdgeNode edge() {
    return edge;
  }

  public Podman podman() {
    return podman;
  }

  public Path dir() {
    return dir;
  }

  /** Ids of the pod's containers on this node (not its infra container), running or not. */
  public List<String> appContainersOf(String podUid) {
    List<String> ids = new ArrayList<>(ids("label=io.outpost.pod.uid=" + podUid));
    ids.removeAll(ids("label=io.outpost.pod.uid=" + podUid, "label=io.outpost.container=" + Podman.INFRA));
    return ids;
  }

  private List<String> ids(String... filters) {
    List<String> args = new ArrayList<>(List.of("ps", "-a", "-q", "--no-trunc"));
    for (String filter : filters) {
      args.addAll(List.of("--filter", filter));
    }
    return podman.remote(args.toArray(String[]::new)).lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** Runs a command in a container of this node ({@code podman exec} through the node's service). */
  public ManagedProcess.Outcome exec(String containerId, Duration timeout, String... command) {
    List<String> args = new ArrayList<>(List.of("exec", containerId));
    args.addAll(List.of(command));
    return podman.attemptRemote(timeout, args.toArray(String[]::new));
  }

  /** Runs a command in the node's network namespace, as the node's own processes see the network. */
  public ManagedProcess.Outcome inNamespace(Duration timeout, String... command) {
    return ManagedProcess.attempt(NetNamespaces.prefixed(NetNamespaces.exec(namespace()), List.of(command)),
        Map.of(), timeout);
  }

  /** Stops Karaf, removes the node's containers (by its node label) and stops its Podman service. */
  @Override
  public void close() {
    try {
      edge.close();
    } finally {
      try {
        removeContainers(dir);
      } catch (IOException | RuntimeException e) {
        System.err.println("site node " + name() + ": containers not removed: " + e.getMessage());
      } finally {
        podman.close();
      }
    }
  }

  /**
   * Removes the containers of the node whose directory is {@code nodeDir} (label {@code io.outpost.node=<directory
   * name>}) with the podman CLI, the node's containers.conf, inside the node's namespace if it still exists.
   */
  static void removeContainers(Path nodeDir) throws IOException {
    Path conf = nodeDir.resolve(CONTAINERS_CONF);
    Path nsFile = nodeDir.resolve(NAMESPACE_FILE);
    if (!Files.exists(conf)) {
      return;
    }
    String ns = Files.exists(nsFile) ? Files.readString(nsFile).trim() : "";
    List<String> prefix = !ns.isEmpty() && NetNamespaces.exists(ns) ? NetNamespaces.enter(ns) : List.of();
    Map<String, String> env = Map.of("CONTAINERS_CONF", conf.toString());
    java.util.function.Function<String[], String> cli =
        args -> ManagedProcess.run(NetNamespaces.prefixed(prefix, Podman.command(args)), env, Duration.ofMinutes(2));
    Podman.removeContainersLabelled(NODE_LABEL, nodeDir.getFileName().toString(), cli);
    String left = cli.apply(new String[] {"ps", "-a", "-q", "--filter", "label=" + NODE_LABEL + "="
        + nodeDir.getFileName()}).strip();
    if (!left.isEmpty()) {
      throw new IllegalStateException("containers of " + nodeDir.getFileName() + " left after removal: " + left);
    }
  }

  @Override
  public String toString() {
    return "site node " + name() + " (" + address() + " in " + namespace() + ")";
  }
}
