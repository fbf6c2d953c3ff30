/**
 * Protocol v1 streams: the relay of {@code kubectl logs}, {@code exec} and {@code port-forward} between the bridge
 * and an edge node. Frames travel outside the sequenced object channel, on {@code outpost/v1/<node>/stream}
 * (bridge to edge) and {@code outpost/v1/<node>/up/stream} (edge to bridge); see docs/protocol.md §15.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.outpost.protocol.stream;
