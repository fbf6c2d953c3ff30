package io.outpost.containers.impl;

import io.outpost.containers.PodNetwork;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PortV1;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pod's infra container, as a kubelet's pod sandbox: created and started before the pod's containers, it holds
 * the network and UTS namespaces they all join ({@code container:<id>}, see {@link CreateRequests}), so they share one
 * IP, {@code localhost} and the pod's hostname ({@link PodHostname}); its IP is the pod IP. If it stops, the pod's
 * containers lose their network: like the kubelet, the manager then removes them and builds the pod again
 * ("SandboxChanged"). Pods whose containers were created before infra containers existed (an upgrade) are left as
 * they are — never restarted for it. A hostname the kubelet would refuse (an FQDN over 64 characters) fails the
 * sandbox as it fails the kubelet's: the pod stays ContainerCreating with a FailedCreatePodSandBox event naming why.
 *
 * <p>The network: the host's for a {@code hostNetwork} pod; else the node's pod network if one is registered when the
 * sandbox is created ({@link PodNetwork}, made sure of by {@link PodNetworks}; the pod IP is then the infra container's
 * address on it), else the engine's default network. A pod keeps the network it was created on: the pod network
 * coming or going restarts nothing. The pod's cluster DNS server is decided at the same moment and recorded on the
 * infra container for {@link ResolvConf}.
 */
final class Sandbox {
  private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);
  /** The {@code io.outpost.container} label value of infra containers; never a valid Kubernetes container name. */
  static final String INFRA = "POD";

  /** The outcome of {@link #ensure}: the running infra container; none (legacy pod); or why the pod must wait. */
  record Result(EngineContainer infra, ContainerStateV1 waiting) {
    String networkMode() {
      return infra == null ? null : "container:" + infra.id();
    }

    /** The cluster DNS decision recorded on the infra container ({@link ResolvConf#LABEL}); null for none. */
    String dns() {
      return infra == null ? null : infra.label(ResolvConf.LABEL);
    }
  }

  private final ContainerEngine engine;
  private final String node;
  private final Settings settings;
  private final Images images;
  private final EventSink events;
  private final SecurityAdmission security;
  private final MemoryVolumes memoryVolumes;
  private final java.util.function.Supplier<PodNetwork> podNetwork;
  private final PodNetworks networks;
  private final ResolvConf resolvConf;

  /**
   * {@code memory}: the pod's memory-backed emptyDirs, which the infra container holds mounted for the pod;
   * {@code podNetwork}: the node's pod network now, or null (the engine's default network).
   */
  Sandbox(ContainerEngine engine, Settings settings, Images images, EventSink events, MemoryVolumes memory,
      java.util.function.Supplier<PodNetwork> podNetwork, ResolvConf resolvConf) {
    this.memoryVolumes = memory;
    this.podNetwork = podNetwork;
    this.networks = new PodNetworks(engine, settings.nodeName());
    this.resolvConf = resolvConf;
    this.engine = engine;
    this.node = settings.nodeName();
    this.settings = settings;
    this.images = images;
    this.events = events;
    this.security = new SecurityAdmission(settings.security());
  }

  static boolean isInfra(EngineContainer container) {
    return INFRA.equals(container.label(Naming.CONTAINER));
  }

  /** Makes sure the pod has a running infra container; one engine action at most. */
  Result ensure(ObjectRef ref, PodV1 pod, List<EngineContainer> existing, PodState state, Instant now) {
    EngineContainer infra = PodWorker.find(existing, INFRA);
    boolean apps = existing.stream().anyMatch(c -> !isInfra(c));
    if (infra == null && apps) {
      return new Result(null, null); // created before infra containers: keep it running as it is
    }
    if (infra != null && infra.running()) {
      state.podIP = podIP(pod, infra);
      return new Result(infra, null);
    }
    state.podIP = null;
    if (infra != null && !infra.neverStarted()) {
      return recreate(ref, pod, existing, infra, state);
    }
    if (!state.backoff.ready(now)) {
      return waiting(state, "Back-off creating the pod sandbox");
    }
    PodState.Memory memory = state.container(INFRA);
    String id = infra == null ? null : infra.id();
    if (id == null) {
      // Admission judged the pod when it was new; a pod admitted before (an earlier version of the node, or before
      // the node's switches changed) gets no host namespace, sysctl or privilege the node does not allow now.
      SecurityAdmission.Refusal forbidden = security.refusal(ref, pod);
      if (forbidden != null) {
        return failed(ref, state, forbidden.message(), now);
      }
      String hostname = null;
      boolean hostNetwork = pod.security().usesHostNetwork();
      try {
        hostname = hostNetwork ? null : PodHostname.of(ref, pod, settings.clusterDomain()); // the node's own
      } catch (PodHostname.Invalid e) {
        return failed(ref, state, e.getMessage(), now);
      }
      if (!images.ready(ref, settings.infraImage(), "IfNotPresent", List.of(), state, memory, now)) {
        return waiting(state, memory.waiting == null ? "Preparing the pod sandbox" : memory.waiting.message());
      }
      List<Volumes.Mount> held;
      try {
        held = memoryVolumes.holderMounts(ref, pod);
      } catch (EnvResolver.ConfigError e) {
        return failed(ref, state, e.getMessage(), now);
      }
      PodNetwork network = podNetwork.get(); // once: the pod keeps what it is created with
      String networkMode = hostNetwork ? "host" : null;
      String dns;
      try {
        if (network != null && !hostNetwork) {
          networkMode = networks.ensure(network);
        }
        dns = dns(ref, pod, network);
      } catch (PodNetworks.Unusable | java.io.IOException e) {
        return failed(ref, state, e.getMessage(), now);
      } catch (EngineException e) {
        return failed(ref, state, "pod network: " + e.getMessage(), now);
      }
      try {
        id = engine.create(new ContainerSpec(Naming.containerName(ref, INFRA), settings.infraImage(), null,
            settings.infraCommand().isEmpty() ? null : settings.infraCommand(), null, null,
            Naming.labels(node, ref, INFRA), networkMode, hostname, null,
            hostNetwork ? null : hostPorts(pod), held.isEmpty() ? null : held, settings.logMaxBytes(),
            SecurityContexts.forSandbox(pod)).withLabels(java.util.Map.of(ResolvConf.LABEL, dns)));
      } catch (EngineException e) {
        images.forget(settings.infraImage());
        return failed(ref, state, e.getMessage(), now);
      }
    }
    try {
      engine.start(id);
      String startedId = id;
      EngineContainer started = engine.inspect(id).orElseThrow(() -> new EngineException("infra container "
          + startedId + " vanished", null));
      state.podIP = podIP(pod, started);
      memory.waiting = null;
      LOG.info("Started the infra container of pod {} (pod IP {})", ref.key(), state.podIP);
      return started.running() ? new Result(started, null) : waiting(state, "Pod sandbox is starting");
    } catch (EngineException e) {
      return failed(ref, state, e.getMessage(), now);
    }
  }

  /**
   * The pod's cluster DNS server ({@link ResolvConf#LABEL}: the pod network's, or {@link ResolvConf#NONE}), decided
   * as the kubelet decides it when it creates the sandbox, with the Events it records then (MissingClusterDNS,
   * DNSConfigForming). Fails if the node's resolv.conf cannot be read, as the kubelet's sandbox fails.
   */
  private String dns(ObjectRef ref, PodV1 pod, PodNetwork network) throws java.io.IOException {
    String clusterDns = network == null || network.clusterDns() == null || network.clusterDns().isBlank() ? null
        : network.clusterDns().trim();
    resolvConf.config(ref, pod, clusterDns, (reason, message) -> events.warning(ref, reason, message));
    return clusterDns == null ? ResolvConf.NONE : clusterDns;
  }

  /** The infra container's IP; for a pod on the host's network, the node's address (as the kubelet reports it). */
  private static String podIP(PodV1 pod, EngineContainer infra) {
    return pod.security().usesHostNetwork() ? HostAddress.primary() : infra.ip();
  }

  /** The infra container exited: remove the pod's containers, then it, so that the next pass builds the pod anew. */
  private Result recreate(ObjectRef ref, PodV1 pod, List<EngineContainer> existing, EngineContainer infra,
      PodState state) {
    events.normal(ref, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
    LOG.warn("Infra container of pod {} exited (code {}): re-creating the pod's containers", ref.key(),
        infra.exitCode());
    try {
      for (EngineContainer container : existing) {
        if (!isInfra(container)) {
          PodState.Memory memory = state.container(container.label(Naming.CONTAINER));
          if (!container.neverStarted()) {
            memory.lastState = StatusMapper.terminated(container);
            memory.restartCount++;
          }
          engine.remove(container.id(), true);
        }
      }
      engine.remove(infra.id(), true);
    } catch (EngineException e) {
      LOG.warn("Removing the containers of pod {} failed: {}", ref.key(), e.getMessage());
    }
    return waiting(state, "Pod sandbox changed, it will be killed and re-created.");
  }

  private Result failed(ObjectRef ref, PodState state, String reason, Instant now) {
    state.backoff.failed(now);
    String message = "Failed to create pod sandbox: " + reason;
    events.warning(ref, "FailedCreatePodSandBox", message);
    LOG.warn("Pod {}: {}", ref.key(), message);
    return waiting(state, message);
  }

  private static Result waiting(PodState state, String message) {
    state.podIP = null;
    return new Result(null, ContainerStateV1.waiting("ContainerCreating", message));
  }

  /** Every port of the pod's containers that is published on the node: the infra container publishes them. */
  static List<PortV1> hostPorts(PodV1 pod) {
    List<PortV1> ports = new java.util.ArrayList<>();
    for (PodV1.ContainerV1 container : pod.containers()) {
      if (container.ports() != null) {
        container.ports().stream().filter(p -> p.hostPort() != null).forEach(ports::add);
      }
    }
    return ports.isEmpty() ? null : ports;
  }
}
