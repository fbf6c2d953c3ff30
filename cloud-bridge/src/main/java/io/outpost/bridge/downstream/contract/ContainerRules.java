package io.outpost.bridge.downstream.contract;

import java.util.Set;

/**
 * The contract's rules for a container ({@code spec.containers[]}; init and ephemeral containers follow them through
 * aliases): image and command, environment, ports, resources, probes, lifecycle, terminal and termination message.
 */
final class ContainerRules {
  static final String C = "spec.containers[]";
  private static final String PROBE = C + ".livenessProbe";
  private static final String HOOK = C + ".lifecycle.postStart";
  /** The resources an edge node accounts for. */
  private static final Set<String> PROVIDED = Set.of("cpu", "memory", "ephemeral-storage");

  private ContainerRules() {}

  static void add(Rules r) {
    r.alias("spec.initContainers[]", C).alias("spec.ephemeralContainers[]", C)
        .alias(C + ".readinessProbe", PROBE).alias(C + ".startupProbe", PROBE)
        .alias(C + ".lifecycle.preStop", HOOK);
    r.honoured(C + ".name", "The container's name.")
        .honoured(C + ".image", "Pulled by the node's engine.")
        .honoured(C + ".imagePullPolicy", "Always, IfNotPresent, Never.")
        .honoured(C + ".command[]", "The entrypoint; $(VAR) references expanded as a kubelet does.")
        .honoured(C + ".args[]", "The arguments; $(VAR) references expanded as a kubelet does.")
        .honoured(C + ".workingDir", "The working directory.")
        .honoured("spec.initContainers[].restartPolicy", "Always makes a native sidecar: started in order, not"
            + " waited for, restarted while the pod runs, stopped after the containers.")
        .notApplicable(C + ".restartPolicy", "The API server allows it on init containers only (native sidecars).")
        .honoured("spec.ephemeralContainers[].targetContainerName", "The container whose process namespace the"
            + " debug container joins.")
        .honoured(C + ".stdin", "kubectl attach: the container gets a standard input.")
        .honoured(C + ".stdinOnce", "The standard input closes after the first attach ends.")
        .honoured(C + ".tty", "The container gets a terminal.")
        .honoured(C + ".terminationMessagePath", "The file whose content becomes state.terminated.message.")
        .honoured(C + ".terminationMessagePolicy", "File, or FallbackToLogsOnError (the log's tail when the file"
            + " is empty and the container failed).");
    env(r);
    r.honoured(C + ".ports[]", "Informational as on a kubelet (probes and hooks resolve named ports against"
            + " them); a port with a hostPort is published on the node.")
        .honoured(C + ".ports[].name", "Resolves named probe and hook ports.")
        .honoured(C + ".ports[].containerPort", "The port in the pod.")
        .honoured(C + ".ports[].hostPort", "Published on the node.")
        .honoured(C + ".ports[].hostIP", "The node address a hostPort binds.")
        .honoured(C + ".ports[].protocol", "TCP, UDP, SCTP.")
        .honoured(C + ".resources", "Requests and limits, as below.")
        .refused(C + ".resources.requests", "a resource edge nodes do not provide",
            "any resource but cpu, memory and ephemeral-storage (GPUs, hugepages, extended resources)",
            Checks.resources(PROVIDED, false))
        .refused(C + ".resources.limits", "a resource edge nodes do not provide",
            "any resource but cpu and memory: GPUs, hugepages, extended resources, and an ephemeral-storage limit"
                + " (the node measures emptyDirs against sizeLimit, not a container's writable layer)",
            Checks.resources(PROVIDED, true))
        .refusedTree(C + ".resources.claims[]", "dynamic resource allocation is not available on edge nodes")
        .notApplicableTree(C + ".resizePolicy[]", "In-place resize is not offered: a changed resource is applied when"
            + " the container is next created.")
        .refusedTree(C + ".volumeDevices[]", "block devices are not available on edge nodes");
    probe(r);
    lifecycle(r);
  }

  private static void env(Rules r) {
    String env = C + ".env[]";
    String from = env + ".valueFrom";
    r.honoured(env, "Environment variables, in order; $(VAR) references to earlier ones expanded.")
        .honoured(env + ".name", "The variable's name.")
        .honoured(env + ".value", "A literal value.")
        .honoured(from, "Resolved on the node when the container is created (also while offline).")
        .honoured(from + ".configMapKeyRef", "A key of a ConfigMap routed to the node.")
        .honoured(from + ".configMapKeyRef.name", "The ConfigMap.")
        .honoured(from + ".configMapKeyRef.key", "The key.")
        .honoured(from + ".configMapKeyRef.optional", "A missing ConfigMap or key leaves the variable unset.")
        .honoured(from + ".secretKeyRef", "A key of a Secret routed to the node.")
        .honoured(from + ".secretKeyRef.name", "The Secret.")
        .honoured(from + ".secretKeyRef.key", "The key.")
        .honoured(from + ".secretKeyRef.optional", "A missing Secret or key leaves the variable unset.")
        .honoured(from + ".fieldRef", "The downward API: every field path a kubelet supports (metadata.name,"
            + " namespace, uid, labels['…'], annotations['…'], spec.nodeName, spec.serviceAccountName,"
            + " status.podIP(s), status.hostIP(s)).")
        .honoured(from + ".fieldRef.fieldPath", "The pod field; annotations travel to the node only for pods"
            + " that reference them.")
        .honoured(from + ".fieldRef.apiVersion", "v1, the only version the API server accepts.")
        .honoured(from + ".resourceFieldRef", "A container's requests or limits (limits default to the node's"
            + " allocatable, as on a kubelet).")
        .honoured(from + ".resourceFieldRef.containerName", "The container (this one if absent).")
        .honoured(from + ".resourceFieldRef.resource", "limits.cpu, requests.memory, ….")
        .honoured(from + ".resourceFieldRef.divisor", "The unit, a quantity (1 if absent).")
        .honoured(C + ".envFrom[]", "All keys of a ConfigMap or Secret as variables.")
        .honoured(C + ".envFrom[].prefix", "Prepended to every name.")
        .honoured(C + ".envFrom[].configMapRef", "A ConfigMap routed to the node.")
        .honoured(C + ".envFrom[].configMapRef.name", "The ConfigMap.")
        .honoured(C + ".envFrom[].configMapRef.optional", "A missing ConfigMap adds nothing.")
        .honoured(C + ".envFrom[].secretRef", "A Secret routed to the node.")
        .honoured(C + ".envFrom[].secretRef.name", "The Secret.")
        .honoured(C + ".envFrom[].secretRef.optional", "A missing Secret adds nothing.");
  }

  private static void probe(Rules r) {
    r.honoured(PROBE, "livenessProbe, readinessProbe, startupProbe: run by the node against the pod IP, every"
            + " restart arming them afresh; failures are Unhealthy Events.")
        .honoured(PROBE + ".exec", "A command run in the container.")
        .honoured(PROBE + ".exec.command[]", "The command.")
        .honoured(PROBE + ".httpGet", "An HTTP GET; 200–399 is success.")
        .honoured(PROBE + ".httpGet.path", "The path.")
        .honoured(PROBE + ".httpGet.port", "A number or a port name of the container.")
        .honoured(PROBE + ".httpGet.scheme", "HTTP or HTTPS (certificates not verified, as on a kubelet).")
        .honoured(PROBE + ".httpGet.host", "The host to connect to (the pod IP if absent).")
        .honoured(PROBE + ".httpGet.httpHeaders[]", "Headers sent with the request (Host among them overrides"
            + " the host name).")
        .honoured(PROBE + ".httpGet.httpHeaders[].name", "The header's name.")
        .honoured(PROBE + ".httpGet.httpHeaders[].value", "The header's value.")
        .honoured(PROBE + ".tcpSocket", "A TCP connection to the pod IP.")
        .honoured(PROBE + ".tcpSocket.port", "A number or a port name of the container.")
        .refused(PROBE + ".tcpSocket.host", "probing another host than the pod is not supported on edge nodes")
        .honoured(PROBE + ".grpc", "A grpc.health.v1 Health/Check call to the pod IP (plaintext HTTP/2, as a"
            + " kubelet); SERVING is success, with the kubelet's failure messages.")
        .honoured(PROBE + ".grpc.port", "The port number.")
        .honoured(PROBE + ".grpc.service", "The service name asked about (\"\" if absent).")
        .honoured(PROBE + ".initialDelaySeconds", "As on a kubelet.")
        .honoured(PROBE + ".periodSeconds", "As on a kubelet (10 s if absent).")
        .honoured(PROBE + ".timeoutSeconds", "As on a kubelet (1 s if absent).")
        .honoured(PROBE + ".successThreshold", "As on a kubelet.")
        .honoured(PROBE + ".failureThreshold", "As on a kubelet.")
        .honoured(PROBE + ".terminationGracePeriodSeconds", "The grace period when this probe's failure kills"
            + " the container.");
  }

  private static void lifecycle(Rules r) {
    r.honoured(C + ".lifecycle", "Hooks and the stop signal.")
        .honouredNewerThanModel(C + ".lifecycle.stopSignal", "The signal that stops the container (Kubernetes"
            + " 1.33+; the image's STOPSIGNAL, else SIGTERM, if absent).")
        .honoured(HOOK, "postStart and preStop hooks with a kubelet's ordering and failure semantics"
            + " (FailedPostStartHook / FailedPreStopHook Events).")
        .honoured(HOOK + ".exec", "A command run in the container.")
        .honoured(HOOK + ".exec.command[]", "The command.")
        .honoured(HOOK + ".httpGet", "An HTTP GET, as for probes.")
        .honoured(HOOK + ".httpGet.path", "The path.")
        .honoured(HOOK + ".httpGet.port", "A number or a port name of the container.")
        .honoured(HOOK + ".httpGet.scheme", "HTTP or HTTPS.")
        .honoured(HOOK + ".httpGet.host", "The host to connect to (the pod IP if absent).")
        .honoured(HOOK + ".httpGet.httpHeaders[]", "Headers sent with the request.")
        .honoured(HOOK + ".httpGet.httpHeaders[].name", "The header's name.")
        .honoured(HOOK + ".httpGet.httpHeaders[].value", "The header's value.")
        .honoured(HOOK + ".sleep", "A pause.")
        .honoured(HOOK + ".sleep.seconds", "How long.")
        .honoured(HOOK + ".tcpSocket", "Not a handler a kubelet runs (kept by the API only for compatibility):"
            + " the hook fails, as on a kubelet.")
        .honoured(HOOK + ".tcpSocket.port", "Part of the failing tcpSocket handler.")
        .honoured(HOOK + ".tcpSocket.host", "Part of the failing tcpSocket handler.");
  }
}
