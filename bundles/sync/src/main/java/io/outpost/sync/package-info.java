/** The edge node's link to the cloud bridge. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.outpost.sync;
