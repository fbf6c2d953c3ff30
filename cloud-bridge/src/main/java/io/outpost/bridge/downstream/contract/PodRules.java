package io.outpost.bridge.downstream.contract;

import io.outpost.protocol.PodV1;

/** The contract's rules for the pod-level fields of {@code spec} (containers and volumes have their own). */
final class PodRules {
  private PodRules() {}

  static void add(Rules r) {
    r.honoured("spec", "The pod's spec: the bridge sends what the node needs (docs/protocol.md, PodV1).")
        .honoured("spec.nodeName", "Routes the pod to its node; each node runs only its own pods.")
        .honoured("spec.restartPolicy", "Always, OnFailure, Never with the kubelet's back-off (CrashLoopBackOff).")
        .honoured("spec.terminationGracePeriodSeconds", "Grace period between the stop signal and the kill.")
        .honoured("spec.activeDeadlineSeconds", "The node fails the pod with reason DeadlineExceeded once it has"
            + " run this long, as a kubelet does.")
        .honoured("spec.initContainers[]", "Run in order to completion before the containers; restartPolicy"
            + " Always makes a native sidecar. Rows for spec.containers[] apply to them.")
        .honoured("spec.containers[]", "The pod's containers.")
        .honoured("spec.ephemeralContainers[]", "kubectl debug: started in the running pod, reported in"
            + " ephemeralContainerStatuses. Rows for spec.containers[] apply to them (the API server refuses"
            + " ports, probes, lifecycle and resources on them).",
            "more than " + PodV1.MAX_EPHEMERAL_CONTAINERS + " in one pod",
            Checks.moreThan(PodV1.MAX_EPHEMERAL_CONTAINERS, "more than " + PodV1.MAX_EPHEMERAL_CONTAINERS
                + " ephemeral containers are not run on edge nodes"))
        .honoured("spec.volumes[]", "The pod's volumes, by type below.")
        .honoured("spec.imagePullSecrets[]", "Registry credentials, routed to the node with the pod.")
        .honoured("spec.imagePullSecrets[].name", "The Secret's name in the pod's namespace.")
        .honoured("spec.hostname", "The pod's hostname, as a kubelet derives it.")
        .honoured("spec.subdomain", "The pod's domain <subdomain>.<namespace>.svc.<cluster domain>.")
        .honoured("spec.setHostnameAsFQDN", "The kernel hostname is the pod's FQDN.")
        .honoured("spec.hostAliases[]", "Entries of the /etc/hosts the node writes for the pod (pod IP and"
            + " hostname first, as a kubelet writes it).",
            "more than " + PodV1.MAX_HOST_ALIASES + " entries, or an entry with more than "
                + PodV1.MAX_HOST_ALIASES + " hostnames",
            Checks.hostAliases(PodV1.MAX_HOST_ALIASES))
        .honoured("spec.hostAliases[].ip", "The address the hostnames resolve to.")
        .honoured("spec.hostAliases[].hostnames[]", "The names written for the address.")
        .honoured("spec.dnsPolicy", "The pod's /etc/resolv.conf, as a kubelet writes it: ClusterFirst (the default)"
            + " the node's cluster DNS with the search path <namespace>.svc.<cluster domain>, svc.<cluster domain>,"
            + " <cluster domain>; ClusterFirstWithHostNet the same for a hostNetwork pod (which ClusterFirst gives"
            + " the node's resolvers); Default the node's resolvers; None only spec.dnsConfig.")
        .honoured("spec.dnsConfig", "Merged into the pod's /etc/resolv.conf as a kubelet merges it (with dnsPolicy"
            + " None, the only source).", "beyond the API server's limits (3 nameservers, 32 search domains of 2048"
                + " characters together), a nameserver that is not an IP address, a search domain or resolver option"
                + " a resolver does not read", DnsConfigBounds.check())
        .honoured("spec.dnsConfig.nameservers[]", "Nameservers, after those of the policy.")
        .honoured("spec.dnsConfig.searches[]", "Search domains, after those of the policy.")
        .honoured("spec.dnsConfig.options[]", "Resolver options; one named like an option of the policy replaces it.")
        .honoured("spec.dnsConfig.options[].name", "The option's name (ndots, timeout, attempts, ...).")
        .honoured("spec.dnsConfig.options[].value", "The option's value, if it takes one.")
        .honoured("spec.enableServiceLinks", "true (the default): the environment variables of the Services of the"
            + " pod's namespace ({SVC}_SERVICE_HOST, {SVC}_PORT_..., Docker links style), as a kubelet sets them;"
            + " the KUBERNETES_SERVICE_* variables of the API server's Service are set either way.")
        .honoured("spec.serviceAccountName", "Names the ServiceAccount whose bound tokens the bridge requests for"
            + " the pod's projected serviceAccountToken sources.")
        .notApplicable("spec.serviceAccount", "Deprecated alias of serviceAccountName, which the API server keeps"
            + " in step.")
        .notApplicable("spec.automountServiceAccountToken", "The API server's ServiceAccount admission acts on it"
            + " (it adds the kube-api-access projected volume, honoured below); nothing is left for a node.")
        .refused("spec.shareProcessNamespace", "a shared process namespace is not provided on edge nodes", "true",
            Checks.TRUE)
        .refused("spec.runtimeClassName", "runtime classes are not available on edge nodes")
        .honoured("spec.os", "The pod's operating system.")
        .refused("spec.os.name", "edge nodes run linux only", "other than linux", Checks.textOtherThan("linux"))
        .refusedTree("spec.resourceClaims[]", "dynamic resource allocation is not available on edge nodes")
        .refusedTree("spec.resources", "pod-level resources are not enforced on edge nodes")
        .honoured("spec.readinessGates[]", "The pod is Ready only when every gate's condition is True (the"
            + " bridge writes the Ready condition with reason ReadinessGatesNotReady otherwise).")
        .honoured("spec.readinessGates[].conditionType", "The pod condition a gate waits for.")
        .security("spec.hostNetwork", Verdict.HONOURED, "The node's network namespace.",
            "true on a node without allow.host.network (CapabilitiesForbidden)")
        .security("spec.hostPID", Verdict.HONOURED, "The node's PID namespace.",
            "true on a node without allow.host.pid (CapabilitiesForbidden)")
        .security("spec.hostIPC", Verdict.HONOURED, "The node's IPC namespace.",
            "true on a node without allow.host.ipc (CapabilitiesForbidden)")
        .security("spec.hostUsers", Verdict.REFUSED, "User namespaces are not provided on edge nodes; true (the"
            + " default) is what the node does.", "false")
        .notApplicableTree("spec.nodeSelector", "The scheduler's (and the bridge's admission webhook reads it to know"
            + " whether a pod targets edge nodes).")
        .notApplicableTree("spec.affinity", "The scheduler's.")
        .notApplicableTree("spec.tolerations[]", "The scheduler's and the taint manager's.")
        .notApplicableTree("spec.topologySpreadConstraints[]", "The scheduler's.")
        .notApplicable("spec.schedulerName", "The scheduler's.")
        .notApplicableTree("spec.schedulingGates[]", "The scheduler's.")
        .notApplicable("spec.priority", "The scheduler's (preemption); the node does not rank pods by priority.")
        .notApplicable("spec.priorityClassName", "The API server's priority admission turns it into priority.")
        .notApplicable("spec.preemptionPolicy", "The scheduler's.")
        .notApplicableTree("spec.overhead", "Set by RuntimeClass admission only with a runtimeClassName, which is"
            + " refused.");
  }
}
