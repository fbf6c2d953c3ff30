package io.outpost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Removal of a {@link SiteLan} run: its nodes' containers (by the node label, through Podman with the node's own
 * containers.conf inside the node's namespace), the processes left in its namespaces (by PID), its namespaces, its
 * cloud link and its directory; the owner file goes last, so a run number is free only once all of it is gone.
 * {@link #removeAll()} does this for every run whose owner process has ended (a test JVM killed mid-run) and for
 * namespaces and links with {@link SiteLan#PREFIX} that no owner file claims.
 */
final class StaleRuns {
  /** Processes of a run outside its namespaces ({@link SiteLan#adopt}), one PID a line. */
  static final String PIDS_FILE = "pids";
  private static final Pattern RUN_NAME = Pattern.compile(Pattern.quote(SiteLan.PREFIX) + "(\\d{1,3})-.*");

  private StaleRuns() {}

  static Path ownerFile(int run) {
    return SiteLan.STATE.resolve(run + ".owner");
  }

  /** Removes every run whose owner process is gone, and prefixed namespaces and links no owner file claims. */
  static void removeAll() {
    TreeSet<Integer> runs = new TreeSet<>();
    for (String ns : NetNamespaces.list()) {
      runNumber(ns).ifPresent(runs::add);
    }
    for (String line : NetNamespaces.ip("-o", "link", "show").lines().toList()) {
      String[] fields = line.split(":\\s+", 3);
      if (fields.length > 1) {
        runNumber(fields[1].split("@")[0]).ifPresent(runs::add);
      }
    }
    if (Files.isDirectory(SiteLan.STATE)) {
      try (Stream<Path> files = Files.list(SiteLan.STATE)) {
        files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{1,3}(\\.owner)?"))
            .forEach(n -> runs.add(Integer.parseInt(n.replace(".owner", ""))));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (int run : runs) {
      if (!Owner.alive(ownerFile(run))) {
        System.err.println("site LAN: removing what run " + run + " left behind (its owner process is gone)");
        remove(run, 0);
      }
    }
  }

  private static java.util.Optional<Integer> runNumber(String name) {
    Matcher m = RUN_NAME.matcher(name);
    return m.matches() ? java.util.Optional.of(Integer.parseInt(m.group(1))) : java.util.Optional.empty();
  }

  /**
   * Removes run {@code run}: the nodes under its directory, and namespaces {@code opsl<run>-*} (at least
   * {@code nodes} node namespaces are looked for even if their directories are gone). Each step is attempted even if
   * an earlier one failed; failures are printed.
   */
  static void remove(int run, int nodes) {
    Path dir = SiteLan.STATE.resolve(Integer.toString(run));
    List<String> namespaces = new ArrayList<>();
    for (String ns : NetNamespaces.list()) {
      if (ns.startsWith(SiteLan.PREFIX + run + "-")) {
        namespaces.add(ns);
      }
    }
    // First the run's Karaf and Podman services (a live Karaf would create containers while they are removed), but
    // not the engine's conmon monitors: the containers' removal needs them. Then the containers, then the rest.
    List<Long> monitors = new ArrayList<>();
    for (String ns : namespaces) {
      attempt("processes in " + ns, () -> {
        List<Long> others = new ArrayList<>();
        NetNamespaces.pids(ns).forEach(pid -> (isConmon(pid) ? monitors : others).add(pid));
        kill(others);
      });
    }
    for (Path node : nodeDirs(dir)) {
      attempt("containers of " + node.getFileName(), () -> SiteNode.removeContainers(node));
    }
    // The monitors end with their containers; any still there (or still exiting) are ended and waited for.
    attempt("engine monitors of run " + run, () -> kill(monitors));
    for (String ns : namespaces) {
      attempt("processes in " + ns, () -> kill(NetNamespaces.pids(ns)));
    }
    attempt("adopted processes of run " + run, () -> kill(adopted(dir)));
    for (String ns : namespaces) {
      attempt("namespace " + ns, () -> NetNamespaces.delete(ns));
    }
    String link = SiteLan.PREFIX + run + "-up";
    attempt("link " + link, () -> {
      // Deleting the LAN namespace removes the link's peer and so the link, asynchronously: gone by now is fine.
      if (NetNamespaces.linkExists(link)) {
        ManagedProcess.attempt(List.of("ip", "link", "delete", link), java.util.Map.of(),
            java.time.Duration.ofSeconds(30));
      }
    });
    attempt("directory " + dir, () -> Trees.deleteTree(dir));
    attempt("owner file of run " + run, () -> {
      try {
        Files.deleteIfExists(ownerFile(run));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** The adopted PIDs whose process still names the run's directory on its command line (not a reused PID). */
  private static List<Long> adopted(Path runDir) throws IOException {
    Path file = runDir.resolve(PIDS_FILE);
    if (!Files.exists(file)) {
      return List.of();
    }
    return Files.readAllLines(file).stream().map(String::trim).filter(l -> l.matches("\\d+")).map(Long::parseLong)
        .filter(pid -> ProcessHandle.of(pid).flatMap(h -> h.info().commandLine())
            .map(line -> line.contains(runDir + "/")).orElse(false))
        .toList();
  }

  private static List<Path> nodeDirs(Path runDir) {
    Path nodes = runDir.resolve("nodes");
    if (!Files.isDirectory(nodes)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(nodes)) {
      return dirs.filter(Files::isDirectory).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isConmon(long pid) {
    return ProcessHandle.of(pid).flatMap(h -> h.info().command()).map(c -> c.endsWith("/conmon")).orElse(false);
  }

  /**
   * SIGKILL to every one of {@code pids} first, then waits for them all within one 30 s deadline (a run's many
   * engine exec monitors used to cost up to 30 s each, one after another).
   */
  private static void kill(List<Long> pids) {
    List<ProcessHandle> killed = new ArrayList<>();
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(handle -> {
        if (handle.isAlive()) {
          System.err.println("site LAN: killing left-over pid " + pid + " " + handle.info().commandLine().orElse(""));
          handle.destroyForcibly();
        }
        killed.add(handle);
      });
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    for (ProcessHandle handle : killed) {
      try {
        handle.onExit().get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        System.err.println("site LAN: pid " + handle.pid() + " has not exited 30 s after SIGKILL");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void attempt(String what, Step step) {
    try {
      step.run();
    } catch (Exception e) {
      System.err.println("site LAN: cannot remove " + what + ": " + e.getMessage());
    }
  }

  @FunctionalInterface
  private interface Step {
    void run() throws Exception;
  }
}
