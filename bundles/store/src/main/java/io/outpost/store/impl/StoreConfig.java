package io.outpost.store.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(pid = EdgeStoreComponent.PID,
    name = "Outpost edge store", description = "Where this edge node keeps its durable state.")
/** The metatype of the component's own PID (its keys may also be set in the node-wide io.outpost.node). */
public @interface StoreConfig {
  @AttributeDefinition(description = "Data directory; relative paths are resolved against karaf.data.")
  String data_dir() default "outpost";

  @AttributeDefinition(description = "Most undelivered events kept while offline; beyond it the oldest are dropped.")
  int events_max() default 1000;
}
