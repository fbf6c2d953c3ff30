package io.outpost.containers.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The network requests of {@link DockerEngine}: bridge networks through the Docker API's {@code /networks}, as Podman
 * 4.3 serves it. Found on Podman 4.3.1 with its CNI backend: {@code POST /networks/create} writes
 * {@code /etc/cni/net.d/<name>.conflist} with the {@code bridge} plugin on the bridge named by the option
 * {@code com.docker.network.bridge.name}, {@code host-local} IPAM with the given subnet and gateway, then
 * {@code portmap}, {@code firewall} and {@code tuning}; it always sets {@code ipMasq: true} (the option
 * {@code com.docker.network.bridge.enable_ip_masquerade} is ignored) and {@code isolate: true} (the firewall plugin's
 * {@code ingressPolicy: same-bridge}: its iptables rules isolating the bridge are added when a first container joins it
 * and stay after the network is removed); no DNS plugin. A second network on the same bridge is refused ("bridge name
 * … already in use"). {@code DELETE /networks/<name>} refuses while any container,
 * running or not, is attached; {@code GET /containers/json?all=true&filters={"network":[name]}} lists those.
 */
final class EngineNetworks {
  /** The Docker option naming the Linux bridge of a bridge network; honoured by Podman 4.3. */
  static final String BRIDGE_OPTION = "com.docker.network.bridge.name";

  /** A network as the engine reports it: its IPv4 subnets and gateways (IPAM configuration), in order. */
  record Network(String name, List<String> subnets, List<String> gateways) {}

  private final EngineHttp http;

  EngineNetworks(EngineHttp http) {
    this.http = http;
  }

  Optional<Network> inspect(String name) {
    JsonNode answer;
    try {
      answer = http.call("inspect network " + name, "GET", "/networks/" + EngineHttp.query(name), null);
    } catch (EngineException e) {
      if (EngineHttp.notFound(e)) {
        return Optional.empty();
      }
      throw e;
    }
    if (answer == null) {
      throw new EngineException("inspect network " + name + ": the engine answered nothing", null);
    }
    return Optional.of(network(answer));
  }

  /** The subnets and gateways of an inspect answer ({@code IPAM.Config[]}). */
  static Network network(JsonNode answer) {
    List<String> subnets = new ArrayList<>();
    List<String> gateways = new ArrayList<>();
    for (JsonNode config : answer.path("IPAM").path("Config")) {
      String subnet = InspectedContainers.text(config, "Subnet");
      if (subnet != null && !subnet.isBlank()) {
        subnets.add(subnet);
        String gateway = InspectedContainers.text(config, "Gateway");
        gateways.add(gateway == null ? "" : gateway);
      }
    }
    return new Network(InspectedContainers.text(answer, "Name"), List.copyOf(subnets), List.copyOf(gateways));
  }

  void create(String name, String subnet, String gateway, String bridge, Map<String, String> labels) {
    ObjectNode body = EngineHttp.JSON.createObjectNode().put("Name", name).put("CheckDuplicate", true)
        .put("Driver", "bridge").put("Internal", false);
    ObjectNode config = body.putObject("IPAM").put("Driver", "default").putArray("Config").addObject();
    config.put("Subnet", subnet).put("Gateway", gateway);
    body.putObject("Options").put(BRIDGE_OPTION, bridge);
    if (labels != null && !labels.isEmpty()) {
      labels.forEach(body.putObject("Labels")::put);
    }
    http.call("create network " + name, "POST", "/networks/create", body);
  }

  void remove(String name) {
    try {
      http.call("remove network " + name, "DELETE", "/networks/" + EngineHttp.query(name), null);
    } catch (EngineException e) {
      if (!EngineHttp.notFound(e)) {
        throw e;
      }
    }
  }

  List<String> containers(String name) {
    JsonNode answer = http.call("list containers on network " + name, "GET", "/containers/json?all=true&filters="
        + EngineHttp.filters(Map.of("network", List.of(name))), null);
    List<String> ids = new ArrayList<>();
    for (JsonNode container : answer == null ? EngineHttp.JSON.createArrayNode() : answer) {
      String id = InspectedContainers.text(container, "Id");
      if (id != null) {
        ids.add(id);
      }
    }
    return ids;
  }
}
