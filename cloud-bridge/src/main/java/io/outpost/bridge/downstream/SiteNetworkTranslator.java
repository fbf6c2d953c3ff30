package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Node;
import io.outpost.bridge.site.Sites;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.SiteNetworkV1;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's {@link SiteNetworkV1}: its site, its pod ranges and where they come from, and, for every other edge node
 * of its site (never of another), the peer's LAN addresses ({@code InternalIP} first, then {@code ExternalIP}) and
 * pod ranges. None while the node's range is being allocated: a node never builds its pod network from a range
 * about to change. The operator's default shared by every edge node ({@code OUTPOST_POD_CIDRS}, the engine's default
 * network) is never sent as a range, the node's or a peer's: it is the same on every node, so nothing can be routed
 * to it, and a node without a range of its own keeps its pods on the engine's default network.
 */
final class SiteNetworkTranslator {
  /** Addresses per peer the wire allows. */
  private static final int MAX_ADDRESSES = 8;

  private SiteNetworkTranslator() {}

  /** The ref: cluster-scoped, named after the node, uid and resourceVersion the Node's. */
  static ObjectRef ref(Node node) {
    return new ObjectRef(Downstream.KIND_SITE_NETWORK, null, node.getMetadata().getName(),
        node.getMetadata().getUid(), node.getMetadata().getResourceVersion());
  }

  /** The node's site network, or null while its pod range is being allocated. */
  static SiteNetworkV1 of(Node node, Sites sites) {
    String name = node.getMetadata().getName();
    Sites.PodRange range = sites.range(name);
    if (range.pending()) {
      return null;
    }
    String site = sites.siteOf(node);
    List<SiteNetworkV1.PeerV1> peers = new ArrayList<>();
    for (Node peer : sites.members(site)) {
      String peerName = peer.getMetadata().getName();
      if (!peerName.equals(name)) {
        Sites.PodRange theirs = sites.range(peerName);
        peers.add(new SiteNetworkV1.PeerV1(peerName, Sites.lanAddresses(peer, MAX_ADDRESSES),
            theirs.pending() || theirs.shared() ? List.of() : theirs.texts()));
        if (peers.size() == SiteNetworkV1.MAX_PEERS) {
          break;
        }
      }
    }
    String source = range.source().length() > 256 ? range.source().substring(0, 255) + "…" : range.source();
    return new SiteNetworkV1(site, range.shared() ? List.of() : range.texts(), source, peers);
  }
}
