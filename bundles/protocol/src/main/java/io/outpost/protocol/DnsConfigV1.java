package io.outpost.protocol;

import java.util.List;

/**
 * A pod's {@code spec.dnsConfig}: nameservers, search domains and resolver options merged into the pod's
 * {@code /etc/resolv.conf} as a kubelet merges them (with {@code dnsPolicy: None}, the only source). The limits are
 * the API server's: 3 nameservers, 32 search domains of at most 2048 characters together.
 */
public record DnsConfigV1(List<String> nameservers, List<String> searches, List<OptionV1> options) {
  public static final int MAX_NAMESERVERS = 3;
  public static final int MAX_SEARCHES = 32;
  public static final int MAX_SEARCH_CHARS = 2048;

  /** A resolver option: {@code name} and an optional {@code value} ({@code ndots:2}). */
  public record OptionV1(String name, String value) {}

  @Override
  public List<String> nameservers() {
    return nameservers == null ? List.of() : nameservers;
  }

  @Override
  public List<String> searches() {
    return searches == null ? List.of() : searches;
  }

  @Override
  public List<OptionV1> options() {
    return options == null ? List.of() : options;
  }

  void validate() throws ProtocolException {
    Validation.requireSize(nameservers, MAX_NAMESERVERS, "pod.dnsConfig.nameservers");
    for (String nameserver : nameservers()) {
      IpLiterals.requireIp(nameserver, "pod.dnsConfig.nameservers[]");
    }
    Validation.requireSize(searches, MAX_SEARCHES, "pod.dnsConfig.searches");
    int chars = 0;
    for (String search : searches()) {
      chars += search.length() + 1;
      if (search.isEmpty() || !search.matches("[A-Za-z0-9._-]{1,253}")) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.dnsConfig.searches[]: '"
            + Validation.clip(search) + "' is not a DNS domain");
      }
    }
    if (chars > MAX_SEARCH_CHARS) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.dnsConfig.searches are longer than "
          + MAX_SEARCH_CHARS + " characters together");
    }
    Validation.requireSize(options, 32, "pod.dnsConfig.options");
    for (OptionV1 option : options()) {
      if (option.name() == null || !option.name().matches("[A-Za-z0-9_-]{1,64}")
          || (option.value() != null && !option.value().matches("[A-Za-z0-9._:-]{0,64}"))) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.dnsConfig.options[]: '"
            + Validation.clip(option.name()) + "' is not a resolver option");
      }
    }
  }
}
