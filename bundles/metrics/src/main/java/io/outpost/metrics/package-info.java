/** Edge node metrics: the whiteboard every bundle publishes its health to. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.outpost.metrics;
