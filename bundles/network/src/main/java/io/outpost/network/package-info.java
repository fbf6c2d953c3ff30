/**
 * Site networking of an edge node (Karaf feature {@code outpost-network}). Sub-packages by responsibility:
 * {@code site} — the node's pod range, the pod bridge, routes to the site's peers and masquerading (offers
 * {@link io.outpost.containers.PodNetwork}); {@code services} — ClusterIP/NodePort forwarding as one nftables
 * ruleset; {@code dns} — the node's cluster DNS server. Everything is computed from the store, so it keeps working
 * while the site is cut off from the cloud.
 */
package io.outpost.network;
