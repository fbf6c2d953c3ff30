package io.outpost.network.site;

import io.outpost.containers.PodNetwork;
import io.outpost.network.site.HostCommands.CommandException;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod network this node offers the container manager: one IPv4 range on one bridge. {@code commands} runs the
 * {@code ip} calls of {@link #whileUnaddressed} (the bridge is this bundle's: only it adds or removes its address).
 */
record SitePodNetwork(String engineNetwork, String bridge, String subnet, String gateway, String clusterDns,
    HostCommands commands) implements PodNetwork {
  private static final Logger LOG = LoggerFactory.getLogger(SitePodNetwork.class);
  /** One lift at a time on this node: two creations must not interleave their del/replace. */
  private static final Object LIFT = new Object();

  static SitePodNetwork of(SiteSettings settings, Ipv4Range range, HostCommands commands) {
    return new SitePodNetwork(settings.engineNetwork(), settings.bridge(), range.toString(), range.firstHost(),
        settings.clusterDns() ? range.firstHost() : null, commands);
  }

  @Override
  public <T> T whileUnaddressed(Callable<T> creation) throws Exception {
    String address = gateway + "/" + subnet.substring(subnet.indexOf('/') + 1);
    synchronized (LIFT) {
      try {
        commands.run("ip", "addr", "del", address, "dev", bridge);
      } catch (CommandException e) {
        LOG.debug("Gateway {} was not on bridge {}: {}", address, bridge, e.getMessage()); // nothing to lift
      }
      try {
        return creation.call();
      } finally {
        commands.run("ip", "addr", "replace", address, "dev", bridge);
        LOG.info("Gateway {} lifted from bridge {} while the engine network {} was created, and put back", address,
            bridge, engineNetwork);
      }
    }
  }

  @Override
  public String toString() {
    return "SitePodNetwork[engineNetwork=" + engineNetwork + ", bridge=" + bridge + ", subnet=" + subnet
        + ", gateway=" + gateway + ", clusterDns=" + clusterDns + "]";
  }
}
