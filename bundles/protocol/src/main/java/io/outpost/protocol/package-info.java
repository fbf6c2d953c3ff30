/** Outpost wire protocol v1: topic names, typed messages and the one codec that reads and writes them. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.3.0")
package io.outpost.protocol;
