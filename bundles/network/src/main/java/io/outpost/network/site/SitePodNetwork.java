package io.outpost.network.site;

import io.outpost.containers.PodNetwork;

/** The pod network this node offers the container manager: one IPv4 range on one bridge. */
record SitePodNetwork(String engineNetwork, String bridge, String subnet, String gateway, String clusterDns)
    implements PodNetwork {

  static SitePodNetwork of(SiteSettings settings, Ipv4Range range) {
    return new SitePodNetwork(settings.engineNetwork(), settings.bridge(), range.toString(), range.firstHost(),
        settings.clusterDns() ? range.firstHost() : null);
  }
}
