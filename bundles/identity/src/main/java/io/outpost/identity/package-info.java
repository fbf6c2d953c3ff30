/**
 * Node identity: keys, CSRs, the CA, TLS contexts, the join client, and the node's credentials as a service
 * ({@link io.outpost.identity.NodeCredentials}: enrollment and renewal, which the sync consumes). The join endpoint's
 * wire messages are in {@code io.outpost.protocol} ({@code JoinMessages}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.0.0")
package io.outpost.identity;
