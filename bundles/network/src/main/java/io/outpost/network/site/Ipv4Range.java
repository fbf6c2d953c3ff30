package io.outpost.network.site;

import io.outpost.protocol.IpLiterals;

/**
 * An IPv4 range in CIDR form with its host bits cleared ({@code 10.42.1.7/24} is {@code 10.42.1.0/24}). Parsed from
 * literals only: never a name lookup.
 */
public record Ipv4Range(int network, int prefix) {

  public Ipv4Range {
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("prefix must be 0..32, was " + prefix);
    }
    network = network & mask(prefix);
  }

  /** Parses {@code a.b.c.d/n}; throws IllegalArgumentException naming the text if it is not an IPv4 CIDR. */
  public static Ipv4Range parse(String cidr) {
    if (!isIpv4Cidr(cidr)) {
      throw new IllegalArgumentException("not an IPv4 CIDR range: '" + cidr + "'");
    }
    int slash = cidr.indexOf('/');
    return new Ipv4Range(address(cidr.substring(0, slash)), Integer.parseInt(cidr.substring(slash + 1)));
  }

  /** Whether {@code text} is an IPv4 CIDR literal. */
  public static boolean isIpv4Cidr(String text) {
    return IpLiterals.isCidr(text) && IpLiterals.isIpv4(text.substring(0, text.indexOf('/')));
  }

  /** The 32 bits of a dotted-quad literal; IllegalArgumentException if it is not one. */
  public static int address(String dottedQuad) {
    if (!IpLiterals.isIpv4(dottedQuad)) {
      throw new IllegalArgumentException("not an IPv4 address: '" + dottedQuad + "'");
    }
    int value = 0;
    for (String octet : dottedQuad.split("\\.")) {
      value = (value << 8) | Integer.parseInt(octet);
    }
    return value;
  }

  /** The dotted-quad text of 32 bits. */
  public static String text(int address) {
    return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
  }

  private static int mask(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  public boolean contains(int address) {
    return (address & mask(prefix)) == network;
  }

  public boolean contains(String dottedQuad) {
    return IpLiterals.isIpv4(dottedQuad) && contains(address(dottedQuad));
  }

  /** Whether the two ranges share an address. */
  public boolean overlaps(Ipv4Range other) {
    int shorter = Math.min(prefix, other.prefix);
    return (network & mask(shorter)) == (other.network & mask(shorter));
  }

  /** The first host address: the pod network's gateway. A /31 or /32 has none usable as a pod range. */
  public String firstHost() {
    return text(network + 1);
  }

  /** Whether the range can hold a gateway and at least one pod: prefix at most 30. */
  public boolean holdsPods() {
    return prefix <= 30;
  }

  @Override
  public String toString() {
    return text(network) + "/" + prefix;
  }
}
