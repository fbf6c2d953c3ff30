/** Node identity: keys, certificate requests, the CA and TLS contexts, used by the node and by the bridge. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.outpost.identity;
