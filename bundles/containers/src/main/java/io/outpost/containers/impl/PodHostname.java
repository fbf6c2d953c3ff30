package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hostname of a pod's containers, derived as the kubelet derives it ({@code GeneratePodHostNameAndDomain} and
 * {@code GetNodenameForKernel}): {@code spec.hostname} if set, else the pod's name, cut to 63 characters without a
 * trailing {@code -} or {@code .}; with {@code spec.subdomain} the pod's domain is
 * {@code <subdomain>.<namespace>.svc.<cluster domain>}, and with {@code setHostnameAsFQDN} the kernel hostname is
 * {@code <hostname>.<domain>}, refused (never cut) when longer than 64 characters.
 */
final class PodHostname {
  private static final Logger LOG = LoggerFactory.getLogger(PodHostname.class);
  /** The kubelet's cap of a hostname (64 bytes of the kernel's nodename, less the terminating NUL). */
  static final int HOSTNAME_MAX = 63;
  /** The kubelet's cap of an FQDN used as hostname: the kernel's nodename field. */
  static final int FQDN_MAX = 64;
  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  /** A hostname the kubelet would refuse to create the pod's sandbox with; the message is the kubelet's. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  private PodHostname() {}

  /** The pod's hostname and its domain (null without {@code spec.subdomain}): the kubelet's {@code
   *  GeneratePodHostNameAndDomain}, which also writes them into the pod's /etc/hosts ({@link EtcHosts}). */
  record Names(String hostname, String domain) {}

  /** The kernel hostname of the pod's containers (the pod's UTS namespace). */
  static String of(ObjectRef ref, PodV1 pod, String clusterDomain) throws Invalid {
    Names names = names(ref, pod, clusterDomain);
    String hostname = names.hostname();
    String domain = names.domain();
    if (domain == null || !pod.hostnameAsFQDN()) {
      return hostname;
    }
    String fqdn = hostname + "." + domain;
    if (fqdn.length() > FQDN_MAX) {
      throw new Invalid("failed to construct FQDN from pod hostname and cluster domain, FQDN " + fqdn
          + " is too long (" + FQDN_MAX + " characters is the max, " + fqdn.length() + " characters requested)");
    }
    return fqdn;
  }

  static Names names(ObjectRef ref, PodV1 pod, String clusterDomain) throws Invalid {
    String hostname = ref.name();
    if (pod.hostname() != null && !pod.hostname().isEmpty()) {
      requireLabel("Hostname", pod.hostname());
      hostname = pod.hostname();
    }
    hostname = truncate(ref.name(), hostname);
    String domain = null;
    if (pod.subdomain() != null && !pod.subdomain().isEmpty()) {
      requireLabel("Subdomain", pod.subdomain());
      domain = pod.subdomain() + "." + (ref.namespace() == null ? "default" : ref.namespace()) + ".svc."
          + clusterDomain;
    }
    return new Names(hostname, domain);
  }

  private static String truncate(String podName, String hostname) throws Invalid {
    if (hostname.length() <= HOSTNAME_MAX) {
      return hostname;
    }
    String truncated = hostname.substring(0, HOSTNAME_MAX).replaceAll("[-.]+$", "");
    if (truncated.isEmpty()) {
      throw new Invalid("hostname for pod \"" + podName + "\" was invalid: \"" + hostname + "\"");
    }
    LOG.debug("Hostname for pod {} was too long, truncated it to {} ({} characters at most)", podName, truncated,
        HOSTNAME_MAX);
    return truncated;
  }

  private static void requireLabel(String field, String value) throws Invalid {
    if (value.length() > HOSTNAME_MAX || !DNS1123_LABEL.matcher(value).matches()) {
      throw new Invalid("pod " + field + " \"" + value + "\" is not a valid DNS label: a lowercase RFC 1123 label"
          + " must consist of lower case alphanumeric characters or '-', must start and end with an alphanumeric"
          + " character and be no more than 63 characters");
    }
  }
}
