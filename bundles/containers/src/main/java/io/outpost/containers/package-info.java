/** The container manager: runs this node's pods on the local container engine and reports their status. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.outpost.containers;
