package io.outpost.network.site;

import io.outpost.network.site.HostCommands.CommandException;
import java.util.regex.Pattern;

/**
 * The Linux bridge pods are attached to: created if missing, given the pod range's gateway address (the first host)
 * and brought up, with IPv4 forwarding on (the node routes between its pods, its site's peers and the LAN). Idempotent.
 * Addresses of an earlier range stay on the bridge: pods created on the old range keep their gateway.
 */
final class PodBridge {
  /** A Linux interface name: at most 15 characters, no slash, no whitespace, not starting with '-'. */
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,14}");

  private final HostCommands commands;

  PodBridge(HostCommands commands) {
    this.commands = commands;
  }

  static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Makes sure bridge {@code name} exists, holds {@code range}'s gateway address and is up. */
  void ensure(String name, Ipv4Range range) throws CommandException {
    if (!exists(name)) {
      commands.run("ip", "link", "add", name, "type", "bridge");
    }
    commands.run("ip", "addr", "replace", range.firstHost() + "/" + range.prefix(), "dev", name);
    commands.run("ip", "link", "set", name, "up");
    commands.run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
  }

  boolean exists(String name) throws CommandException {
    String links = commands.run("ip", "-o", "link", "show");
    for (String line : links.split("\n")) {
      // "7: outpost0: <BROADCAST,...": the name is the second field, without its colon (or an @peer suffix).
      String[] fields = line.split(":\\s+", 3);
      if (fields.length >= 2 && fields[1].replaceFirst("@.*$", "").equals(name)) {
        return true;
      }
    }
    return false;
  }
}
