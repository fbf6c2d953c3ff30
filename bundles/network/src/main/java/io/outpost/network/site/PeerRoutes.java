package io.outpost.network.site;

import io.outpost.network.site.HostCommands.CommandException;
import io.outpost.protocol.IpLiterals;
import io.outpost.protocol.SiteNetworkV1;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes to the site's peers' pod ranges (host-gateway style: {@code <peer range> via <peer LAN address>}), all
 * tagged with the node's own route protocol number so that it lists, replaces and removes exactly the routes it
 * created ({@code ip route show proto N}) and never another: a destination that already has a route of someone else
 * is left alone (logged and counted as skipped).
 */
final class PeerRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(PeerRoutes.class);

  /** One route: destination range and next hop, of the same family. */
  record Route(String destination, String via) {}

  /**
   * What a reconcile did: {@code skipped} lists every route left out with its reason, {@code failed} counts those of
   * them whose installation failed (worth another try, unlike a destination someone else routes).
   */
  record Outcome(int installed, int removed, int kept, List<String> skipped, int failed) {}

  private final HostCommands commands;
  private final int protocol;

  PeerRoutes(HostCommands commands, int protocol) {
    this.commands = commands;
    this.protocol = protocol;
  }

  /**
   * The routes {@code site} asks for: every peer range via the peer's first address of its family. A range that is
   * not a CIDR, overlaps one of this node's own ranges or an earlier peer's, or whose peer has no address of its
   * family, is left out with a logged reason (in {@code skipped}).
   */
  static List<Route> desired(SiteNetworkV1 site, List<String> skipped) {
    List<Ipv4Range> taken = new ArrayList<>();
    for (String own : site.podCIDRs()) {
      if (Ipv4Range.isIpv4Cidr(own)) {
        taken.add(Ipv4Range.parse(own));
      }
    }
    List<String> takenV6 = new ArrayList<>(site.podCIDRs().stream().filter(c -> !Ipv4Range.isIpv4Cidr(c)).toList());
    List<Route> routes = new ArrayList<>();
    for (SiteNetworkV1.PeerV1 peer : site.peers()) {
      for (String cidr : peer.podCIDRs()) {
        boolean v4 = Ipv4Range.isIpv4Cidr(cidr);
        String via = peer.addresses().stream().filter(a -> v4 ? IpLiterals.isIpv4(a) : IpLiterals.isIpv6(a))
            .findFirst().orElse(null);
        String why = null;
        String destination = cidr;
        if (via == null) {
          why = "peer " + peer.node() + " has no " + (v4 ? "IPv4" : "IPv6") + " address for its range " + cidr;
        } else if (v4) {
          Ipv4Range range = Ipv4Range.parse(cidr);
          destination = range.toString();
          if (taken.stream().anyMatch(range::overlaps)) {
            why = "range " + cidr + " of peer " + peer.node() + " overlaps this node's or another peer's range";
          } else {
            taken.add(range);
          }
        } else if (!IpLiterals.isCidr(cidr) || takenV6.contains(cidr)) {
          why = "range " + cidr + " of peer " + peer.node() + " is not a CIDR or is already taken";
        } else {
          takenV6.add(cidr);
        }
        if (why != null) {
          skipped.add(why);
        } else {
          routes.add(new Route(destination, via));
        }
      }
    }
    return routes;
  }

  /** The routes this node created (its protocol number), destination → next hop, both families. */
  Map<String, String> installed() throws CommandException {
    Map<String, String> routes = new LinkedHashMap<>();
    for (String family : List.of("-4", "-6")) {
      for (String line : commands.run("ip", family, "route", "show", "proto", Integer.toString(protocol))
          .split("\n")) {
        String[] fields = line.strip().split("\\s+");
        if (fields.length >= 3 && "via".equals(fields[1])) {
          routes.put(fields[0], fields[2]);
        } else if (!line.isBlank()) {
          routes.put(fields[0], "");
        }
      }
    }
    return routes;
  }

  /**
   * Makes the node's own routes exactly {@code desired}: replaces those whose next hop changed, adds the missing ones
   * (unless the destination already has a route not made by this node), removes those no longer wanted. A route
   * that cannot be installed is skipped with its reason; the others are still reconciled.
   */
  Outcome reconcile(List<Route> desired) throws CommandException {
    Map<String, String> existing = installed();
    List<String> skipped = new ArrayList<>();
    int installed = 0;
    int kept = 0;
    int failed = 0;
    for (Route route : desired) {
      String family = route.destination().contains(":") ? "-6" : "-4";
      if (route.via().equals(existing.remove(route.destination()))) {
        kept++;
        continue;
      }
      String all = commands.run("ip", family, "route", "show", "exact", route.destination());
      String ours = commands.run("ip", family, "route", "show", "exact", route.destination(), "proto",
          Integer.toString(protocol));
      if (!all.isBlank() && ours.isBlank()) {
        skipped.add("a route to " + route.destination() + " not created by Outpost exists: left alone ("
            + all.strip() + ")");
        continue;
      }
      try {
        commands.run("ip", family, "route", "replace", route.destination(), "via", route.via(), "proto",
            Integer.toString(protocol));
        installed++;
      } catch (CommandException e) {
        skipped.add("route to " + route.destination() + " via " + route.via() + " failed: " + e.getMessage());
        failed++;
      }
    }
    int removed = 0;
    for (String destination : existing.keySet()) {
      removeOne(destination);
      removed++;
    }
    skipped.forEach(reason -> LOG.warn("Site route skipped: {}", reason));
    return new Outcome(installed, removed, kept, skipped, failed);
  }

  /** Removes every route this node created. */
  int removeAll() throws CommandException {
    Map<String, String> existing = installed();
    for (String destination : existing.keySet()) {
      removeOne(destination);
    }
    return existing.size();
  }

  private void removeOne(String destination) throws CommandException {
    commands.run("ip", destination.contains(":") ? "-6" : "-4", "route", "del", destination, "proto",
        Integer.toString(protocol));
  }
}
