/**
 * The edge store: the durable desired state ({@link io.outpost.store.DesiredState}), sync log and position
 * ({@link io.outpost.store.SyncLog}) and upstream outboxes ({@link io.outpost.store.Outbox}) of one edge node.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.1.0")
package io.outpost.store;
