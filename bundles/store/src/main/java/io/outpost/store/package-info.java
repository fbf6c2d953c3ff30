/** The edge store: durable desired state, sync position and upstream outbox of one edge node. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.outpost.store;
