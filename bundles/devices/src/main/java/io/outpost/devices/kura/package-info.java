/** Eclipse Kura's telemetry format (payload and topics), shared with the Kura telemetry bundle. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.outpost.devices.kura;
