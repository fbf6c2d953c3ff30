package io.outpost.network.site;

/** The validated configuration of the pod network; a bad value fails with a message naming its key. */
record SiteSettings(String nodeName, String bridge, String engineNetwork, boolean clusterDns, int routeProtocol) {
  static final String DEFAULT_BRIDGE = "outpost0";
  static final String DEFAULT_ENGINE_NETWORK = "outpost";
  /** 0x9a: not among iproute2's registered numbers (rt_protos), documented as "outpost". */
  static final int DEFAULT_ROUTE_PROTOCOL = 154;

  SiteSettings {
    if (!PodBridge.validName(bridge)) {
      throw new IllegalArgumentException("bridge.name must be a Linux interface name (1-15 characters of "
          + "[a-zA-Z0-9_.-]), was '" + bridge + "'");
    }
    if (engineNetwork == null || !engineNetwork.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")) {
      throw new IllegalArgumentException("engine.network must be a network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), was '"
          + engineNetwork + "'");
    }
    if (routeProtocol < 5 || routeProtocol > 255) {
      throw new IllegalArgumentException("route.protocol must be 5..255 (0-4 are the kernel's), was "
          + routeProtocol);
    }
    nodeName = nodeName == null ? "" : nodeName.strip();
  }

  static SiteSettings from(SiteConfig config) {
    return new SiteSettings(config.node_name(), config.bridge_name(), config.engine_network(),
        config.cluster_dns_enabled(), config.route_protocol());
  }
}
