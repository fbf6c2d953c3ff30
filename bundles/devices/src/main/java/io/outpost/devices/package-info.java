/** The device module's API: protocol drivers and telemetry sinks are whiteboard services of their own bundles. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.outpost.devices;
