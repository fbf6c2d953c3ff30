/**
 * Protocol v1 streams: the relay of {@code kubectl logs}, {@code exec}, {@code attach} and {@code port-forward} between the bridge
 * and an edge node. Frames travel outside the sequenced object channel, on {@code outpost/v1/<node>/stream}
 * (bridge to edge) and {@code outpost/v1/<node>/up/stream} (edge to bridge); see docs/protocol.md §15. Only what
 * both ends must agree on is here (frames, requests, ends, sequence and flow-control rules); the in-process contract
 * between the container manager and the sync ({@code PodStreams}) is in the containers API,
 * {@code io.outpost.containers}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.1.0")
package io.outpost.protocol.stream;
