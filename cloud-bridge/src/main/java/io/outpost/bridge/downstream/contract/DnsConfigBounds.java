package io.outpost.bridge.downstream.contract;

import com.fasterxml.jackson.databind.JsonNode;
import io.outpost.protocol.DnsConfigV1;
import io.outpost.protocol.IpLiterals;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The bounds within which a pod's {@code spec.dnsConfig} travels to a node ({@link DnsConfigV1}: the API server's own
 * limits, IP literal nameservers, plain domain names and resolver options): the contract refuses a value beyond
 * them, and the translator sends only a value within them.
 */
public final class DnsConfigBounds {
  private static final Pattern SEARCH = Pattern.compile("[A-Za-z0-9._-]{1,253}");
  private static final Pattern OPTION = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern VALUE = Pattern.compile("[A-Za-z0-9._:-]{0,64}");

  private DnsConfigBounds() {}

  /** What is wrong with {@code dnsConfig} (its JSON as the API server stores it), if anything. */
  public static Optional<String> problem(JsonNode dnsConfig) {
    JsonNode nameservers = dnsConfig.path("nameservers");
    if (nameservers.size() > DnsConfigV1.MAX_NAMESERVERS) {
      return Optional.of("more than " + DnsConfigV1.MAX_NAMESERVERS + " nameservers are not written on edge nodes");
    }
    for (JsonNode nameserver : nameservers) {
      if (!ipLiteral(nameserver.asText(""))) {
        return Optional.of("nameserver '" + clip(nameserver.asText("")) + "' is not an IP address");
      }
    }
    JsonNode searches = dnsConfig.path("searches");
    int chars = 0;
    if (searches.size() > DnsConfigV1.MAX_SEARCHES) {
      return Optional.of("more than " + DnsConfigV1.MAX_SEARCHES + " search domains are not written on edge nodes");
    }
    for (JsonNode search : searches) {
      chars += search.asText("").length() + 1;
      if (!SEARCH.matcher(search.asText("")).matches()) {
        return Optional.of("search domain '" + clip(search.asText("")) + "' is not a DNS domain");
      }
    }
    if (chars > DnsConfigV1.MAX_SEARCH_CHARS) {
      return Optional.of("search domains longer than " + DnsConfigV1.MAX_SEARCH_CHARS + " characters together are"
          + " not written on edge nodes");
    }
    JsonNode options = dnsConfig.path("options");
    if (options.size() > 32) {
      return Optional.of("more than 32 resolver options are not written on edge nodes");
    }
    for (JsonNode option : options) {
      String name = option.path("name").asText("");
      JsonNode value = option.path("value");
      if (!OPTION.matcher(name).matches() || (!value.isMissingNode() && !value.isNull()
          && !VALUE.matcher(value.asText("")).matches())) {
        return Optional.of("resolver option '" + clip(name) + "' is not one a resolver reads");
      }
    }
    return Optional.empty();
  }

  /** The contract's check: refused with {@link #problem}'s words. */
  static Check check() {
    return (value, reason) -> problem(value).map(p -> List.of(Finding.of(p))).orElse(List.of());
  }

  /** An IP literal as the wire checks it (no name is ever resolved). */
  private static boolean ipLiteral(String text) {
    return IpLiterals.isIp(text);
  }

  private static String clip(String text) {
    return text.length() > 64 ? text.substring(0, 64) + "…" : text;
  }
}
