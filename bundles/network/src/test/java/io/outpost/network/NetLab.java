package io.outpost.network;

import io.outpost.network.site.HostCommands;
import io.outpost.network.site.HostCommands.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Network namespaces for a test, all named {@code outpost-t-<random>-<role>}, joined by veth pairs, with busybox
 * HTTP servers in them (started as processes, killed by PID). {@link #close} kills what it started and deletes its
 * namespaces (and with them every interface, route and nftables table inside). Only these namespaces' addresses and
 * loopback are ever used as traffic targets.
 */
public final class NetLab implements AutoCloseable {
  private final String id = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final Path dir;
  private int links;

  public NetLab(Path dir) {
    this.dir = dir;
  }

  /** Creates namespace {@code outpost-t-<id>-<role>} with loopback up; returns its name. */
  public String namespace(String role) throws CommandException {
    String name = "outpost-t-" + id + "-" + role;
    HostCommands.host().run("ip", "netns", "add", name);
    namespaces.add(name);
    in(name).run("ip", "link", "set", "lo", "up");
    return name;
  }

  public static HostCommands in(String namespace) {
    return HostCommands.inNamespace(namespace);
  }

  /** A veth pair between two namespaces, each end with its address (CIDR) and up. */
  public void link(String a, String addressA, String b, String addressB) throws CommandException {
    String ifA = "vt" + id + (links++);
    String ifB = "vt" + id + (links++);
    HostCommands.host().run("ip", "link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b);
    in(a).run("ip", "addr", "add", addressA, "dev", ifA);
    in(a).run("ip", "link", "set", ifA, "up");
    in(b).run("ip", "addr", "add", addressB, "dev", ifB);
    in(b).run("ip", "link", "set", ifB, "up");
  }

  /** A "pod": namespace {@code pod} attached to {@code bridge} of {@code node}, address {@code cidr}, default via gw. */
  public void attach(String node, String bridge, String pod, String cidr, String gateway) throws CommandException {
    String ifNode = "vt" + id + (links++);
    String ifPod = "vt" + id + (links++);
    HostCommands.host().run("ip", "link", "add", ifNode, "netns", node, "type", "veth", "peer", "name", ifPod,
        "netns", pod);
    in(node).run("ip", "link", "set", ifNode, "master", bridge);
    // As Podman's CNI bridge plugin sets up a pod's port (hairpinMode: true): with br_netfilter loaded, a pod's
    // packet DNATed back to itself is bridged out of the port it came in on.
    in(node).run("ip", "link", "set", ifNode, "type", "bridge_slave", "hairpin", "on");
    in(node).run("ip", "link", "set", ifNode, "up");
    in(pod).run("ip", "addr", "add", cidr, "dev", ifPod);
    in(pod).run("ip", "link", "set", ifPod, "up");
    in(pod).run("ip", "route", "add", "default", "via", gateway);
  }

  /**
   * A busybox HTTP server in {@code namespace} on {@code port} whose {@code /cgi-bin/who} answers
   * {@code <name> <client address>}.
   */
  public void server(String namespace, int port, String name) throws IOException {
    Path root = dir.resolve("www-" + name + "-" + port);
    Files.createDirectories(root.resolve("cgi-bin"));
    Path who = root.resolve("cgi-bin").resolve("who");
    Files.writeString(who, "#!/bin/sh\necho 'Content-Type: text/plain'\necho ''\necho \"" + name
        + " $REMOTE_ADDR\"\n");
    Files.setPosixFilePermissions(who, PosixFilePermissions.fromString("rwxr-xr-x"));
    Process process = new ProcessBuilder("ip", "netns", "exec", namespace, "/bin/busybox", "httpd", "-f", "-p",
        "0.0.0.0:" + port, "-h", root.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("httpd-" + name + "-" + port + ".log").toFile()).start();
    processes.add(process);
  }

  /** {@code GET http://<target>/cgi-bin/who} from {@code namespace}: the answer, trimmed. */
  public static String who(String namespace, String target) throws CommandException {
    // busybox-static's wget crashes with -T: coreutils' timeout bounds it instead.
    return in(namespace).run("timeout", "5", "/bin/busybox", "wget", "-q", "-O", "-", "http://" + target
        + "/cgi-bin/who").strip();
  }

  @Override
  public void close() {
    for (Process process : processes) {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (String namespace : namespaces) {
      try {
        HostCommands.host().run("ip", "netns", "del", namespace);
      } catch (CommandException e) {
        System.err.println("could not delete namespace " + namespace + ": " + e.getMessage());
      }
    }
  }
}
