package io.outpost.protocol;

import java.util.List;

/**
 * The node's place in its site's network (kind {@code SiteNetwork}, cluster-scoped, store key
 * {@code SiteNetwork/<node name>}, sent only to that node): its own pod address ranges and, for every other node of
 * its site, the node's addresses on the site LAN and its pod ranges. Nothing about other sites is ever sent. The node
 * creates its pod network with {@code podCIDRs}, routes each peer's ranges via the peer's first address of the same
 * family, and masquerades only traffic that leaves the site's pod ranges.
 *
 * @param site the site's name (the value of the bridge's site label on the Node); null if the node has none
 * @param podCIDRs this node's pod ranges, at most one per IP family (as {@code Node.spec.podCIDRs})
 * @param source where the ranges come from, for operators: {@code spec.podCIDRs}, {@code site pool}, ...
 */
public record SiteNetworkV1(String site, List<String> podCIDRs, String source, List<PeerV1> peers) {
  /** A site of about ten nodes; far more is a configuration error, refused before it reaches a routing table. */
  public static final int MAX_PEERS = 1000;

  /** Another node of the site: its addresses on the site LAN ({@code InternalIP} first) and its pod ranges. */
  public record PeerV1(String node, List<String> addresses, List<String> podCIDRs) {
    @Override
    public List<String> addresses() {
      return addresses == null ? List.of() : addresses;
    }

    @Override
    public List<String> podCIDRs() {
      return podCIDRs == null ? List.of() : podCIDRs;
    }
  }

  @Override
  public List<String> podCIDRs() {
    return podCIDRs == null ? List.of() : podCIDRs;
  }

  @Override
  public List<PeerV1> peers() {
    return peers == null ? List.of() : peers;
  }

  void validate() throws ProtocolException {
    Validation.requireMaxLength(site, 63, "siteNetwork.site");
    Validation.requireMaxLength(source, 256, "siteNetwork.source");
    Validation.requireSize(podCIDRs, 2, "siteNetwork.podCIDRs");
    for (String cidr : podCIDRs()) {
      IpLiterals.requireCidr(cidr, "siteNetwork.podCIDRs[]");
    }
    Validation.requireSize(peers, MAX_PEERS, "siteNetwork.peers");
    for (PeerV1 peer : peers()) {
      Validation.require(peer.node(), "siteNetwork.peers[].node");
      Validation.requireMaxLength(peer.node(), 253, "siteNetwork.peers[].node");
      Validation.requireSize(peer.addresses(), 8, "siteNetwork.peers[].addresses");
      for (String address : peer.addresses()) {
        IpLiterals.requireIp(address, "siteNetwork.peers[].addresses[]");
      }
      Validation.requireSize(peer.podCIDRs(), 2, "siteNetwork.peers[].podCIDRs");
      for (String cidr : peer.podCIDRs()) {
        IpLiterals.requireCidr(cidr, "siteNetwork.peers[].podCIDRs[]");
      }
    }
  }
}
