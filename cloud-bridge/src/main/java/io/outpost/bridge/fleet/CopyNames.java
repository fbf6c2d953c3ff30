package io.outpost.bridge.fleet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Deterministic names for the copies of a SiteWorkload: {@code <workload>-<site>} as a DNS label (RFC 1123: at most
 * 63 lower-case letters, digits and '-', starting and ending alphanumeric). When the plain name is not one already
 * (too long, or a site name with upper case, '_' or '.'), the sanitised text is cut and a digest of the plain name
 * appended, so that two different pairs never share a copy.
 */
final class CopyNames {
  static final int MAX = 63;
  private static final int DIGEST_CHARS = 8;
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  /** A label value (what a site name must be, since sites are Node label values). */
  private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

  private CopyNames() {}

  static String copyName(String workload, String site) {
    String plain = workload + "-" + site;
    if (DNS_LABEL.matcher(plain).matches()) {
      return plain;
    }
    return withDigest(sanitise(plain), plain);
  }

  /** The owner label's value: the name itself if it is a label value, else a cut form with a digest. */
  static String labelValue(String name) {
    if (name.length() <= MAX && LABEL_VALUE.matcher(name).matches()) {
      return name;
    }
    return withDigest(sanitise(name), name);
  }

  /** Whether {@code site} can be a site name (a non-empty label value). */
  static boolean validSite(String site) {
    return site != null && !site.isEmpty() && LABEL_VALUE.matcher(site).matches();
  }

  private static String withDigest(String sanitised, String plain) {
    String cut = sanitised.substring(0, Math.min(sanitised.length(), MAX - DIGEST_CHARS - 1));
    cut = trimDashes(cut);
    return (cut.isEmpty() ? "x" : cut) + "-" + digest(plain);
  }

  private static String sanitise(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toLowerCase(java.util.Locale.ROOT).toCharArray()) {
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (ok) {
        out.append(c);
      } else if (out.length() > 0 && out.charAt(out.length() - 1) != '-') {
        out.append('-');
      }
    }
    return trimDashes(out.toString());
  }

  private static String trimDashes(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && text.charAt(start) == '-') {
      start++;
    }
    while (end > start && text.charAt(end - 1) == '-') {
      end--;
    }
    return text.substring(start, end);
  }

  static String digest(String text) {
    return digest(text, DIGEST_CHARS);
  }

  /** The first {@code chars} hex digits of the text's SHA-256. */
  static String digest(String text, int chars) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash).substring(0, chars);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }
}
