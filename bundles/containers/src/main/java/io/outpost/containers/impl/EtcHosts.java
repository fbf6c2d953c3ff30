package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.HostAliasV1;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pod's {@code /etc/hosts}, managed as the kubelet manages it ({@code kubelet_pods.go makeHostsMount},
 * {@code ensureHostsFile}): one file per pod, {@code <volumes.dir>/.etc-hosts/<pod uid>} (the kubelet's
 * {@code pods/<uid>/etc-hosts}; kept apart from the pod's volumes, so that a pod without disk volumes has none of
 * them on the node's disk), removed with the pod's volumes ({@link #remove}), bind-mounted read-write at {@code /etc/hosts} into every container of the pod once it
 * has an IP, unless the container mounts something there itself. Its content is the kubelet's: the header, the
 * localhost and IPv6 lines, the pod IP with the pod's hostname (its FQDN first with {@code spec.subdomain}), then
 * {@code spec.hostAliases}; for a {@code hostNetwork} pod, the node's own hosts file under its own header, plus the
 * aliases. The file is rewritten (to a new file renamed over it: never through a link, never in place) when a container
 * is created and its content differs, so what one container wrote is not what the next one gets. A container can only
 * write to its own pod's file: the directory is the node's, and no volume of any pod reaches it.
 */
final class EtcHosts {
  /** The directory under {@code volumes.dir} holding one hosts file per pod, named by the pod's uid. */
  static final String DIR = ".etc-hosts";
  static final String TARGET = "/etc/hosts";
  static final String HEADER = "# Kubernetes-managed hosts file.\n";
  static final String HEADER_HOST_NETWORK = "# Kubernetes-managed hosts file (host network).\n";

  private final Path volumesDir;
  private final String clusterDomain;
  private final Path nodeHosts;

  /** {@code nodeHosts}: the node's own hosts file, the base of a {@code hostNetwork} pod's. */
  EtcHosts(Path volumesDir, String clusterDomain, Path nodeHosts) {
    this.volumesDir = volumesDir;
    this.clusterDomain = clusterDomain;
    this.nodeHosts = nodeHosts;
  }

  /**
   * {@code mounts} with the pod's hosts file added, written first if needed; {@code mounts} as they are if the pod has
   * no IP yet (the kubelet mounts no hosts file then) or the container mounts something at /etc/hosts itself.
   */
  List<Volumes.Mount> withHostsFile(ObjectRef ref, PodV1 pod, ContainerV1 container, String podIP,
      List<Volumes.Mount> mounts) throws EnvResolver.ConfigError {
    if (podIP == null || NodeOwnedFiles.mounted(mounts, TARGET)) {
      return mounts;
    }
    Path file;
    try {
      file = write(ref, content(ref, pod, podIP));
    } catch (IOException | PodHostname.Invalid e) {
      throw new EnvResolver.ConfigError("failed to create the pod's hosts file for container \"" + container.name()
          + "\": " + e.getMessage());
    }
    List<Volumes.Mount> all = new ArrayList<>(mounts);
    all.add(new Volumes.Mount(file.toString(), TARGET, false));
    return all;
  }

  /** The file's content, as the kubelet writes it. */
  String content(ObjectRef ref, PodV1 pod, String podIP) throws IOException, PodHostname.Invalid {
    StringBuilder hosts = new StringBuilder();
    if (pod.security().usesHostNetwork()) {
      hosts.append(HEADER_HOST_NETWORK).append(Files.readString(nodeHosts, StandardCharsets.UTF_8));
    } else {
      PodHostname.Names names = PodHostname.names(ref, pod, clusterDomain);
      hosts.append(HEADER)
          .append("127.0.0.1\tlocalhost\n")
          .append("::1\tlocalhost ip6-localhost ip6-loopback\n")
          .append("fe00::0\tip6-localnet\n")
          .append("fe00::0\tip6-mcastprefix\n")
          .append("fe00::1\tip6-allnodes\n")
          .append("fe00::2\tip6-allrouters\n");
      if (names.domain() != null) {
        hosts.append(podIP).append('\t').append(names.hostname()).append('.').append(names.domain()).append('\t')
            .append(names.hostname()).append('\n');
      } else {
        hosts.append(podIP).append('\t').append(names.hostname()).append('\n');
      }
    }
    List<HostAliasV1> aliases = pod.hostAliasList();
    if (!aliases.isEmpty()) {
      hosts.append("\n# Entries added by HostAliases.\n");
      for (HostAliasV1 alias : aliases) {
        hosts.append(alias.ip()).append('\t').append(String.join("\t", alias.hostnames())).append('\n');
      }
    }
    return hosts.toString();
  }

  /** Removes a pod's hosts file (with its volumes, once its containers are gone). */
  static void remove(Path volumesDir, String uid) throws IOException {
    Files.deleteIfExists(volumesDir.resolve(DIR).resolve(uid));
  }

  /** Writes the pod's file if its content differs: a new file renamed over the old one. */
  private Path write(ObjectRef ref, String content) throws IOException {
    return NodeOwnedFiles.write(volumesDir.resolve(DIR), ref.uid(), content);
  }
}
