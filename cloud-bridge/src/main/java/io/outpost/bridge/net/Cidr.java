package io.outpost.bridge.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address range ({@code 10.42.7.0/24}, {@code fd00:42:7::/64}) and the strict parsing of the IP
 * literals checked against it. Parsing never resolves a name: a text is an address only if it is a literal in the
 * form Kubernetes validates (IPv4 dotted quad without leading zeros, IPv6 without zone); IPv4-mapped IPv6
 * ({@code ::ffff:10.0.0.1}) is refused, because it reads as one family and is matched as the other.
 *
 * @param network the network address's bytes (4 or 16), host bits zero
 * @param prefix the prefix length
 */
public record Cidr(byte[] network, int prefix) {
  private static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  public Cidr {
    network = network.clone();
  }

  /**
   * Parses {@code address/prefix}; the address must be the network's (no host bits set), as Kubernetes requires of
   * {@code spec.podCIDRs}. The error says what is wrong.
   */
  public static Cidr parse(String text) {
    return parse(text, true);
  }

  /**
   * {@link #parse(String)}; with {@code requireNetwork} false, host bits are cleared instead of refused (as Go's
   * {@code net.ParseCIDR}, which the API server uses for a Node's {@code spec.podCIDRs}).
   */
  public static Cidr parse(String text, boolean requireNetwork) {
    String value = text == null ? "" : text.trim();
    int slash = value.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + value + "' is not a CIDR (address/prefix, e.g. 10.42.7.0/24)");
    }
    byte[] address = address(value.substring(0, slash)).orElseThrow(() -> new IllegalArgumentException("'" + value
        + "' does not start with an IPv4 or IPv6 address"));
    String length = value.substring(slash + 1);
    int max = address.length * 8;
    if (!length.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(length) > max) {
      throw new IllegalArgumentException("'" + value + "' has an invalid prefix length (0-" + max + ")");
    }
    int prefix = Integer.parseInt(length);
    if (requireNetwork && !Arrays.equals(address, mask(address, prefix))) {
      throw new IllegalArgumentException("'" + value + "' has host bits set; the network is "
          + new Cidr(mask(address, prefix), prefix));
    }
    return new Cidr(mask(address, prefix), prefix);
  }

  /** The bytes of an IP literal (4 for IPv4, 16 for IPv6), or empty if the text is not a valid literal. */
  public static Optional<byte[]> address(String text) {
    if (text == null) {
      return Optional.empty();
    }
    return text.contains(":") ? ipv6(text) : ipv4(text);
  }

  private static Optional<byte[]> ipv4(String text) {
    if (!IPV4.matcher(text).matches()) {
      return Optional.empty();
    }
    String[] parts = text.split("\\.");
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      int part = Integer.parseInt(parts[i]);
      if (part > 255) {
        return Optional.empty();
      }
      bytes[i] = (byte) part;
    }
    return Optional.of(bytes);
  }

  /**
   * RFC 4291 text: eight groups of 1-4 hex digits, at most one {@code ::}, an IPv4 address as the last 32 bits;
   * parsed here, not by {@code InetAddress}, which resolves a text it cannot parse as a host name.
   */
  private static Optional<byte[]> ipv6(String text) {
    if (!IPV6.matcher(text).matches() || text.length() > 45) {
      return Optional.empty();
    }
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      return Optional.empty();
    }
    List<Integer> head = words(gap < 0 ? text : text.substring(0, gap), gap < 0);
    List<Integer> tail = gap < 0 ? List.of() : words(text.substring(gap + 2), true);
    if (head == null || tail == null || (gap < 0 ? head.size() != 8 : head.size() + tail.size() > 7)) {
      return Optional.empty();
    }
    byte[] bytes = new byte[16];
    for (int i = 0; i < head.size(); i++) {
      bytes[2 * i] = (byte) (head.get(i) >> 8);
      bytes[2 * i + 1] = (byte) (int) head.get(i);
    }
    for (int i = 0; i < tail.size(); i++) {
      int at = 8 - tail.size() + i;
      bytes[2 * at] = (byte) (tail.get(i) >> 8);
      bytes[2 * at + 1] = (byte) (int) tail.get(i);
    }
    return v4Mapped(bytes) ? Optional.empty() : Optional.of(bytes);
  }

  /** The 16-bit words of colon-separated groups (an IPv4 address last, if allowed, as two); null if invalid. */
  private static List<Integer> words(String groups, boolean ipv4Last) {
    List<Integer> words = new ArrayList<>(8);
    if (groups.isEmpty()) {
      return words;
    }
    String[] parts = groups.split(":", -1);
    for (int i = 0; i < parts.length; i++) {
      if (ipv4Last && i == parts.length - 1 && parts[i].contains(".")) {
        Optional<byte[]> v4 = ipv4(parts[i]);
        if (v4.isEmpty()) {
          return null;
        }
        words.add((v4.get()[0] & 0xff) << 8 | v4.get()[1] & 0xff);
        words.add((v4.get()[2] & 0xff) << 8 | v4.get()[3] & 0xff);
      } else if (parts[i].matches("[0-9a-fA-F]{1,4}")) {
        words.add(Integer.parseInt(parts[i], 16));
      } else {
        return null;
      }
    }
    return words;
  }

  private static boolean v4Mapped(byte[] bytes) {
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
  }

  /** True if {@code address} (4 or 16 bytes) lies in this range; an address of the other family never does. */
  public boolean contains(byte[] address) {
    return address.length == network.length && Arrays.equals(mask(address, prefix), network);
  }

  /** True if {@code address} is a valid IP literal in this range. */
  public boolean contains(String address) {
    return address(address).map(this::contains).orElse(false);
  }

  public boolean ipv6() {
    return network.length == 16;
  }

  private static byte[] mask(byte[] address, int prefix) {
    byte[] masked = address.clone();
    for (int bit = prefix; bit < masked.length * 8; bit++) {
      masked[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    return masked;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Cidr that && prefix == that.prefix && Arrays.equals(network, that.network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefix;
  }

  /** {@code 10.42.7.0/24}, {@code fd00:42:7:0:0:0:0:0/64}. */
  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a network of " + network.length + " bytes", e);
    }
  }
}
