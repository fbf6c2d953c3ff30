package io.outpost.store.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Outpost edge store", description = "Where this edge node keeps its durable state.")
public @interface StoreConfig {
  @AttributeDefinition(description = "Data directory; relative paths are resolved against karaf.data.")
  String data_dir() default "outpost";

  @AttributeDefinition(description = "Most undelivered events kept while offline; beyond it the oldest are dropped.")
  int events_max() default 1000;
}
