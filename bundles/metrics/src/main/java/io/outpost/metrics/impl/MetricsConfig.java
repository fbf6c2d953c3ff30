package io.outpost.metrics.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(pid = MetricsServer.PID,
    name = "Outpost metrics", description = "Prometheus text endpoint of this edge node.")
/** The metatype of the component's own PID (its keys may also be set in the node-wide io.outpost.node). */
public @interface MetricsConfig {
  @AttributeDefinition(description = "Port of GET /metrics (Prometheus text format); 0 = off.")
  int metrics_port() default 9464;

  @AttributeDefinition(description = "Address it listens on: loopback by default (scrape it locally, or rely on"
      + " the summary every heartbeat carries to the bridge's /metrics).")
  String metrics_bind() default "127.0.0.1";
}
