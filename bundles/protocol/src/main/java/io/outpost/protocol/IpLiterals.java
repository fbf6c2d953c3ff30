package io.outpost.protocol;

import java.util.regex.Pattern;

/**
 * IP address and CIDR literals as the network kinds carry them, checked without ever resolving a name: dotted-quad
 * IPv4 (no leading zeros, as Kubernetes' validation since 1.20) and IPv6 in any RFC 4291 text form.
 */
public final class IpLiterals {
  private static final Pattern OCTET = Pattern.compile("25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]");
  private static final Pattern IPV4 = Pattern.compile("(" + OCTET + ")(\\.(" + OCTET + ")){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  private IpLiterals() {}

  public static boolean isIpv4(String text) {
    return text != null && IPV4.matcher(text).matches();
  }

  public static boolean isIpv6(String text) {
    if (text == null || !text.contains(":") || !IPV6_CHARS.matcher(text).matches()) {
      return false;
    }
    try {
      // A text with ':' and only hex digits, ':' and '.' is parsed as an IPv6 literal: no name lookup happens. (An
      // IPv4-mapped address such as ::ffff:10.0.0.1 comes back as an Inet4Address: still an IPv6 literal.)
      java.net.InetAddress.getByName(text);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  public static boolean isIp(String text) {
    return isIpv4(text) || isIpv6(text);
  }

  /** {@code address/prefix} with the prefix in range for the family (host bits may be set: callers mask). */
  public static boolean isCidr(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash < 0 || slash == text.length() - 1 || text.length() - slash > 4) {
      return false;
    }
    String address = text.substring(0, slash);
    String bits = text.substring(slash + 1);
    if (!bits.chars().allMatch(Character::isDigit) || (bits.length() > 1 && bits.charAt(0) == '0')) {
      return false;
    }
    int prefix = Integer.parseInt(bits);
    return isIpv4(address) ? prefix <= 32 : isIpv6(address) && prefix <= 128;
  }

  static void requireIp(String text, String field) throws ProtocolException {
    if (!isIp(text)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " is not an IP address: '"
          + Validation.clip(text) + "'");
    }
  }

  static void requireCidr(String text, String field) throws ProtocolException {
    if (!isCidr(text)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " is not a CIDR range: '"
          + Validation.clip(text) + "'");
    }
  }
}
