package io.outpost.containers.impl;

import io.outpost.containers.PodNetwork;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the engine has the node's pod network ({@link PodNetwork}) before a sandbox is created on it: a bridge
 * network named {@link PodNetwork#engineNetwork()} with the node's subnet and gateway on the Linux bridge
 * {@link PodNetwork#bridge()}, created through the Docker API if missing ({@link EngineNetworks}). A network of that
 * name with another subnet or gateway (the node's range changed) is removed and created again if no container, of
 * any owner, is attached to it; otherwise it is left as it is — the pods on it keep running — and new sandboxes are
 * refused with a reason naming the conflict ({@link Unusable}), logged once per distinct conflict, until those
 * containers are gone. One sandbox at a time: pods created in parallel do not race to create the network. The
 * bridge's name is not in the engine's inspect answer (Podman 4.3 reports no options), so an existing network is
 * judged by its subnet and gateway only.
 */
final class PodNetworks {
  private static final Logger LOG = LoggerFactory.getLogger(PodNetworks.class);
  /** Label of the engine networks the manager creates: the node that created it. */
  static final String LABEL = "io.outpost.network.node";
  /** Linux limits interface names to 15 characters. */
  static final int MAX_BRIDGE_NAME = 15;

  /** The pod network cannot be used now; the message says why. */
  static final class Unusable extends Exception {
    private static final long serialVersionUID = 1L;

    Unusable(String message) {
      super(message);
    }
  }

  private final ContainerEngine engine;
  private final String node;
  /** The conflict logged last (guarded by this): a repeat is not logged again. */
  private String lastConflict;

  PodNetworks(ContainerEngine engine, String node) {
    this.engine = engine;
    this.node = node;
  }

  /** The engine network a new sandbox joins: {@code wanted}'s, present with its subnet and gateway. */
  synchronized String ensure(PodNetwork wanted) throws Unusable {
    String name = wanted.engineNetwork();
    requireValid(wanted);
    Optional<EngineNetworks.Network> existing = engine.network(name);
    if (existing.isPresent() && matches(existing.get(), wanted)) {
      lastConflict = null;
      return name;
    }
    if (existing.isPresent()) {
      List<String> users = engine.containersOn(name);
      if (!users.isEmpty()) {
        String conflict = "engine network " + name + " has subnet " + describe(existing.get()) + ", not the node's pod"
            + " range " + wanted.subnet() + " (gateway " + wanted.gateway() + "), and " + users.size()
            + " container(s) still use it: new pods wait until they are gone";
        if (!conflict.equals(lastConflict)) {
          LOG.warn("Pod network: {}", conflict);
          lastConflict = conflict;
        }
        throw new Unusable(conflict);
      }
      LOG.warn("Engine network {} has subnet {}, not the node's pod range {}: no container uses it, creating it again",
          name, describe(existing.get()), wanted.subnet());
      engine.removeNetwork(name);
    }
    try {
      engine.createNetwork(name, wanted.subnet(), wanted.gateway(), wanted.bridge(), Map.of(LABEL, node));
    } catch (EngineException e) {
      // Created meanwhile by someone else with the same settings: fine; anything else fails the sandbox.
      if (engine.network(name).filter(n -> matches(n, wanted)).isEmpty()) {
        throw e;
      }
    }
    lastConflict = null;
    LOG.info("Created engine network {} (subnet {}, gateway {}, bridge {}) for the node's pods", name,
        wanted.subnet(), wanted.gateway(), wanted.bridge());
    return name;
  }

  private static boolean matches(EngineNetworks.Network network, PodNetwork wanted) {
    int index = network.subnets().indexOf(wanted.subnet().trim());
    return index >= 0 && network.gateways().get(index).equals(wanted.gateway().trim());
  }

  private static String describe(EngineNetworks.Network network) {
    if (network.subnets().isEmpty()) {
      return "(none)";
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < network.subnets().size(); i++) {
      text.append(i == 0 ? "" : ", ").append(network.subnets().get(i)).append(" (gateway ")
          .append(network.gateways().get(i)).append(')');
    }
    return text.toString();
  }

  private static void requireValid(PodNetwork wanted) throws Unusable {
    if (blank(wanted.engineNetwork()) || blank(wanted.subnet()) || blank(wanted.gateway()) || blank(wanted.bridge())) {
      throw new Unusable("the node's pod network is incomplete (network " + wanted.engineNetwork() + ", bridge "
          + wanted.bridge() + ", subnet " + wanted.subnet() + ", gateway " + wanted.gateway() + ")");
    }
    if (wanted.bridge().length() > MAX_BRIDGE_NAME) {
      throw new Unusable("the pod network's bridge name " + wanted.bridge() + " is longer than " + MAX_BRIDGE_NAME
          + " characters");
    }
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }
}
