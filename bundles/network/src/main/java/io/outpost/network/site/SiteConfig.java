package io.outpost.network.site;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(pid = PodNetworkComponent.PID, name = "Outpost pod network",
    description = "The node's pod bridge, its routes to the site's peers and the masquerading exemption for the site.")
/** The metatype of {@code io.outpost.network.site} (node.name may also come from the node-wide io.outpost.node). */
public @interface SiteConfig {
  @AttributeDefinition(description = "Name of this edge node (the Kubernetes node name), usually set node-wide.")
  String node_name() default "";

  @AttributeDefinition(description = "The Linux bridge the pods are attached to (created if missing).")
  String bridge_name() default SiteSettings.DEFAULT_BRIDGE;

  @AttributeDefinition(description = "The container engine network on that bridge (created by the container manager).")
  String engine_network() default SiteSettings.DEFAULT_ENGINE_NETWORK;

  @AttributeDefinition(description = "Whether pods with dnsPolicy ClusterFirst get the node's cluster DNS server "
      + "(on the bridge's gateway address); false gives them the node's resolvers.")
  boolean cluster_dns_enabled() default true;

  @AttributeDefinition(description = "The route protocol number the node tags its routes to the site's peers with "
      + "(ip route ... proto N); it lists and removes only routes with this number.", min = "5", max = "255")
  int route_protocol() default SiteSettings.DEFAULT_ROUTE_PROTOCOL;
}
