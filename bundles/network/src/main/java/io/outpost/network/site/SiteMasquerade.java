package io.outpost.network.site;

import io.outpost.network.site.HostCommands.CommandException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Keeps the pod source address on traffic from this node's pods to the site's other pod ranges. The engine's bridge
 * network (CNI's {@code ipMasq}) masquerades everything from the pod subnet that is not for the subnet; this table's
 * postrouting chain runs before it ({@code srcnat - 10}) and binds an identity SNAT ({@code snat to ip saddr}) for
 * traffic to the site's pod ranges: a connection that has a NAT binding skips the later NAT chains, so CNI's
 * MASQUERADE never sees it. Everything else (leaving the site) is masqueraded as before. One table of its own,
 * {@code ip outpost_site}, replaced atomically.
 */
final class SiteMasquerade {
  static final String TABLE = "outpost_site";

  private final HostCommands commands;

  SiteMasquerade(HostCommands commands) {
    this.commands = commands;
  }

  /** The whole table: {@code own} keeps its address towards {@code sitePodRanges} (non-overlapping ranges). */
  static String script(Ipv4Range own, List<Ipv4Range> sitePodRanges) {
    StringBuilder nft = new StringBuilder();
    nft.append("add table ip ").append(TABLE).append('\n');
    nft.append("delete table ip ").append(TABLE).append('\n');
    nft.append("table ip ").append(TABLE).append(" {\n");
    nft.append("\tcomment \"Outpost: pod traffic within the site keeps its source address\"\n");
    nft.append("\tset site-pod-ranges {\n\t\ttype ipv4_addr\n\t\tflags interval\n");
    if (!sitePodRanges.isEmpty()) {
      nft.append("\t\telements = { ").append(sitePodRanges.stream().map(Ipv4Range::toString)
          .collect(Collectors.joining(", "))).append(" }\n");
    }
    nft.append("\t}\n");
    nft.append("\tchain postrouting {\n");
    nft.append("\t\ttype nat hook postrouting priority srcnat - 10; policy accept;\n");
    nft.append("\t\tip saddr ").append(own).append(" ip daddr @site-pod-ranges snat ip to ip saddr\n");
    nft.append("\t}\n}\n");
    return nft.toString();
  }

  void apply(Ipv4Range own, List<Ipv4Range> sitePodRanges) throws CommandException {
    commands.run(script(own, sitePodRanges), List.of("nft", "-f", "-"));
  }

  /** Removes the table (if it exists). */
  void remove() throws CommandException {
    commands.run("add table ip " + TABLE + "\ndelete table ip " + TABLE + "\n", List.of("nft", "-f", "-"));
  }
}
