package io.outpost.network.services;

import io.outpost.network.site.Ipv4Range;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.store.StoredSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one rendering of the node's Service forwarding depends on.
 *
 * @param localPods this node's pods by {@code namespace/name} as its container manager sees them, or null if no
 *     container manager is running (the slices' conditions are then taken as they are)
 * @param podRanges the site's IPv4 pod ranges (this node's and its peers'): traffic to a ClusterIP from elsewhere is
 *     masqueraded so that replies come back through this node
 * @param nodeAddresses this node's own IPv4 addresses: never accepted as a ClusterIP
 * @param incumbents the Services programmed by the previous rendering: they keep a contested NodePort or ClusterIP
 *     port, so a new Service cannot take one away from a running one
 */
record ProxyInput(List<StoredSpec<ServiceV1>> services, List<StoredSpec<EndpointSliceV1>> slices,
    Map<String, LocalPod> localPods, List<Ipv4Range> podRanges, Set<String> nodeAddresses, ProxySettings settings,
    Set<String> incumbents) {}
