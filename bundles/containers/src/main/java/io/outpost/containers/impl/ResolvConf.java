package io.outpost.containers.impl;

import io.outpost.protocol.DnsConfigV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The pod's {@code /etc/resolv.conf}, as a kubelet makes it ({@code pkg/kubelet/network/dns/dns.go GetPodDNS}) and
 * containerd writes it: {@code dnsPolicy} picks the base — {@code ClusterFirst} (not on the host's network) and
 * {@code ClusterFirstWithHostNet}: the cluster DNS server, the search list {@code <ns>.svc.<domain> svc.<domain>
 * <domain>} followed by the node's own search domains, {@code options ndots:5}; {@code Default} (and
 * {@code ClusterFirst} on the host's network, and cluster DNS the node does not have): the node's resolv.conf
 * ({@code resolv.conf} setting), its nameservers, last search line and last options line; {@code None}: nothing —
 * then {@code dnsConfig} is appended (nameservers and searches de-duplicated, options overriding by name) and the
 * kubelet's limits applied (3 nameservers, 32 search domains of at most 253 characters, 2048 characters in all, cut
 * from the end, each cut a {@code DNSConfigForming} Warning Event). The text is containerd's ({@code search},
 * {@code nameserver} lines, {@code options}); an empty configuration copies the node's file as containerd does.
 *
 * <p>Whether the pod has cluster DNS is decided once, when its sandbox is created (as the kubelet decides it for the
 * sandbox), and recorded on the infra container ({@link #LABEL}): its containers all get the same servers even if the
 * node's pod network comes or goes meanwhile. The file is the node's, {@code <volumes.dir>/.resolv-conf/<pod uid>},
 * written as {@link EtcHosts} writes the hosts file ({@link NodeOwnedFiles}: again for each new container if a
 * container changed it) and bind-mounted read-write into every container of the pod at {@code /etc/resolv.conf},
 * unless the container mounts something there itself. Pods whose sandbox predates this (no label) keep the engine's
 * own file.
 *
 * <p>Why a file of the node's rather than the engine's {@code Dns}/{@code DnsSearch}/{@code DnsOptions}: Podman 4.3
 * fills in what those leave empty from the node's file (its search domains, options, else public resolvers) and drops
 * loopback nameservers, so {@code None} with a partial {@code dnsConfig}, or a {@code Default} pod on a node that
 * resolves through 127.0.0.53, cannot be written as a kubelet writes them; and the option merge order would be the
 * engine's. The file here is exactly the kubelet's, the same in init, app and ephemeral containers, and survives a
 * restart of the node (it is derived again from the pod, the label and the node's file).
 */
final class ResolvConf {
  static final String DIR = ".resolv-conf";
  static final String TARGET = "/etc/resolv.conf";
  /** Label of the infra container: the cluster DNS server its pod got, or {@link #NONE}. */
  static final String LABEL = "io.outpost.cluster-dns";
  static final String NONE = "none";
  static final int MAX_NAMESERVERS = 3;
  static final int MAX_SEARCHES = 32;
  static final int MAX_SEARCH_CHARS = 2048;
  /** Longer search domains are dropped (glibc aborts on them), as by the kubelet. */
  static final int MAX_SEARCH_LENGTH = 253;
  /** The kubelet reads at most this much of the node's resolv.conf. */
  static final int MAX_FILE = 10 << 20;

  /** One pod's resolver configuration. */
  record Config(List<String> nameservers, List<String> searches, List<String> options) {
    /** containerd's text; empty if there is nothing to write. */
    String text() {
      StringBuilder text = new StringBuilder();
      if (!searches.isEmpty()) {
        text.append("search ").append(String.join(" ", searches)).append('\n');
      }
      for (String nameserver : nameservers) {
        text.append("nameserver ").append(nameserver).append('\n');
      }
      if (!options.isEmpty()) {
        text.append("options ").append(String.join(" ", options)).append('\n');
      }
      return text.toString();
    }
  }

  /** A Warning Event the kubelet records while forming a pod's configuration: reason and message. */
  interface Warnings {
    void warn(String reason, String message);

    Warnings NONE = (reason, message) -> { };
  }

  private final Path volumesDir;
  private final String clusterDomain;
  private final Path nodeFile;

  /** {@code nodeFile}: the node's resolv.conf (the kubelet's {@code --resolv-conf}). */
  ResolvConf(Path volumesDir, String clusterDomain, Path nodeFile) {
    this.volumesDir = volumesDir;
    this.clusterDomain = clusterDomain;
    this.nodeFile = nodeFile;
  }

  /** Whether the pod's policy asks for cluster DNS (the kubelet's {@code podDNSCluster}). */
  static boolean wantsClusterDns(PodV1 pod) {
    return switch (pod.dnsPolicyOrDefault()) {
      case "ClusterFirstWithHostNet" -> true;
      case "ClusterFirst" -> !pod.security().usesHostNetwork();
      default -> false; // Default and None; ClusterFirst on the host's network falls back to Default
    };
  }

  /**
   * The pod's configuration with cluster DNS server {@code clusterDns} (null: the node has none), and the Events a
   * kubelet records while forming it. Fails if the node's resolv.conf cannot be read, as the kubelet's sandbox does.
   */
  Config config(ObjectRef ref, PodV1 pod, String clusterDns, Warnings warnings) throws IOException {
    Config node = parse(readNodeFile());
    List<String> nameservers;
    List<String> searches;
    List<String> options;
    if ("None".equals(pod.dnsPolicyOrDefault())) {
      nameservers = List.of();
      searches = List.of();
      options = List.of();
    } else if (wantsClusterDns(pod) && clusterDns != null) {
      nameservers = List.of(clusterDns);
      List<String> cluster = new ArrayList<>(List.of(ref.namespace() + ".svc." + clusterDomain, "svc." + clusterDomain,
          clusterDomain));
      cluster.addAll(node.searches());
      searches = distinct(cluster);
      options = List.of("ndots:5");
    } else {
      if (wantsClusterDns(pod)) {
        String why = "kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\""
            + " policy. Falling back to \"Default\" policy.";
        warnings.warn("MissingClusterDNS", "pod: \"" + ref.name() + "_" + ref.namespace() + "(" + ref.uid() + ")\". "
            + why);
      }
      nameservers = node.nameservers();
      searches = node.searches();
      options = node.options();
    }
    DnsConfigV1 extra = pod.dnsConfig();
    if (extra != null) {
      nameservers = distinct(concat(nameservers, extra.nameservers()));
      searches = distinct(concat(searches, extra.searches()));
      options = merge(options, extra.options());
    }
    return new Config(nameserversWithinLimits(nameservers, warnings), searchesWithinLimits(searches, warnings),
        options);
  }

  /**
   * {@code mounts} with the pod's resolv.conf added, written first if needed; as they are if the sandbox recorded no
   * DNS decision ({@code sandboxDns} null: a pod from before) or the container mounts something at /etc/resolv.conf.
   */
  List<Volumes.Mount> withResolvConf(ObjectRef ref, PodV1 pod, ContainerV1 container, String sandboxDns,
      List<Volumes.Mount> mounts) throws EnvResolver.ConfigError {
    if (sandboxDns == null || NodeOwnedFiles.mounted(mounts, TARGET)) {
      return mounts;
    }
    Path file;
    try {
      String text = config(ref, pod, NONE.equals(sandboxDns) ? null : sandboxDns, Warnings.NONE).text();
      file = NodeOwnedFiles.write(volumesDir.resolve(DIR), ref.uid(), text.isEmpty() ? readNodeFile() : text);
    } catch (IOException e) {
      throw new EnvResolver.ConfigError("failed to create the pod's resolv.conf for container \""
          + container.name() + "\": " + e.getMessage());
    }
    List<Volumes.Mount> all = new ArrayList<>(mounts);
    all.add(new Volumes.Mount(file.toString(), TARGET, false));
    return all;
  }

  /** Removes a pod's file (with its volumes, once its containers are gone). */
  static void remove(Path volumesDir, String uid) throws IOException {
    Files.deleteIfExists(volumesDir.resolve(DIR).resolve(uid));
  }

  private String readNodeFile() throws IOException {
    try (InputStream in = Files.newInputStream(nodeFile)) {
      byte[] bytes = in.readNBytes(MAX_FILE + 1);
      if (bytes.length > MAX_FILE) {
        throw new IOException(nodeFile + " is larger than " + MAX_FILE + " bytes");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  /**
   * A resolv.conf as the kubelet's {@code parseResolvConf} reads it: nameservers accumulate, the last search line and
   * the last options line win, a search domain loses its trailing dot; a nameserver line without an address fails.
   */
  static Config parse(String text) throws IOException {
    List<String> nameservers = new ArrayList<>();
    List<String> searches = new ArrayList<>();
    List<String> options = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      String trimmed = line.trim();
      if (trimmed.startsWith("#") || trimmed.isEmpty()) {
        continue;
      }
      String[] fields = trimmed.split("\\s+");
      switch (fields[0]) {
        case "nameserver" -> {
          if (fields.length < 2) {
            throw new IOException("nameserver list is empty");
          }
          nameservers.add(fields[1]);
        }
        case "search" -> {
          searches = new ArrayList<>();
          for (int i = 1; i < fields.length; i++) {
            String domain = fields[i].endsWith(".") ? fields[i].substring(0, fields[i].length() - 1) : fields[i];
            if (!domain.isEmpty()) { // "search ." means none
              searches.add(domain);
            }
          }
        }
        case "options" -> options = new ArrayList<>(List.of(fields).subList(1, fields.length));
        default -> { } // domain, sortlist, ...: not carried over, as by the kubelet
      }
    }
    return new Config(List.copyOf(nameservers), List.copyOf(searches), List.copyOf(options));
  }

  /**
   * The kubelet's {@code mergeDNSOptions}: the pod's options override those of the base by name. The kubelet's order
   * is a Go map's (random); here it is the base's, each overridden option in its place, new ones after.
   */
  static List<String> merge(List<String> base, List<DnsConfigV1.OptionV1> extra) {
    Map<String, String> byName = new LinkedHashMap<>();
    for (String option : base) {
      int colon = option.indexOf(':');
      byName.put(colon < 0 ? option : option.substring(0, colon), colon < 0 ? "" : option.substring(colon + 1));
    }
    for (DnsConfigV1.OptionV1 option : extra) {
      byName.put(option.name(), option.value() == null ? "" : option.value());
    }
    List<String> merged = new ArrayList<>();
    byName.forEach((name, value) -> merged.add(value.isEmpty() ? name : name + ":" + value));
    return merged;
  }

  private static List<String> nameserversWithinLimits(List<String> nameservers, Warnings warnings) {
    if (nameservers.size() <= MAX_NAMESERVERS) {
      return nameservers;
    }
    List<String> kept = List.copyOf(nameservers.subList(0, MAX_NAMESERVERS));
    warnings.warn("DNSConfigForming", "Nameserver limits were exceeded, some nameservers have been omitted, the"
        + " applied nameserver line is: " + String.join(" ", kept));
    return kept;
  }

  /** The kubelet's {@code formDNSSearchFitsLimits}. */
  private static List<String> searchesWithinLimits(List<String> searches, Warnings warnings) {
    boolean exceeded = searches.size() > MAX_SEARCHES;
    List<String> kept = new ArrayList<>();
    for (String search : exceeded ? searches.subList(0, MAX_SEARCHES) : searches) {
      if (search.length() > MAX_SEARCH_LENGTH) {
        exceeded = true;
      } else {
        kept.add(search);
      }
    }
    int length = String.join(" ", kept).length();
    if (length > MAX_SEARCH_CHARS) {
      exceeded = true;
      while (!kept.isEmpty() && length > MAX_SEARCH_CHARS) {
        length -= kept.remove(kept.size() - 1).length() + 1;
      }
    }
    if (exceeded) {
      warnings.warn("DNSConfigForming", "Search Line limits were exceeded, some search paths have been omitted, the"
          + " applied search line is: " + String.join(" ", kept));
    }
    return List.copyOf(kept);
  }

  private static List<String> concat(List<String> first, List<String> second) {
    List<String> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  private static List<String> distinct(List<String> values) {
    return List.copyOf(new LinkedHashSet<>(values));
  }
}
