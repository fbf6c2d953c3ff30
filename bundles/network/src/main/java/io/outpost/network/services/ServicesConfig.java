package io.outpost.network.services;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(pid = ServiceProxyComponent.PID, name = "Outpost Service forwarding",
    description = "ClusterIP and NodePort forwarding of the Services in the store, as one nftables table.")
/** The metatype of {@code io.outpost.network.services} (node.name may also come from the node-wide io.outpost.node). */
public @interface ServicesConfig {
  @AttributeDefinition(description = "Name of this edge node (the Kubernetes node name), usually set node-wide.")
  String node_name() default "";

  @AttributeDefinition(description = "The NodePort range (the API server's --service-node-port-range); a Service "
      + "with a nodePort outside it is refused.")
  String nodeport_range() default ProxySettings.DEFAULT_NODEPORT_RANGE;

  @AttributeDefinition(description = "The cluster's Service ranges (--service-cluster-ip-range), comma-separated "
      + "IPv4 CIDRs: a ClusterIP outside them is refused. Empty accepts any address except the node's own, loopback, "
      + "link-local, multicast and the site's pod ranges.")
  String service_cidrs() default "";

  @AttributeDefinition(description = "Milliseconds between two looks at the readiness of this node's own pods "
      + "(a change re-programs the Services).", min = "100")
  long readiness_period_millis() default 1000;
}
