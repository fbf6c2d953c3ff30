package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** What the manager reads of Podman 4.3's network and container inspect answers (captured from the real engine). */
class EngineNetworksTest {

  @Test
  void aNetworksSubnetsAndGatewaysComeFromItsIpamConfig() throws Exception {
    JsonNode answer = EngineHttp.JSON.readTree("{\"Name\":\"outpost\",\"Driver\":\"bridge\",\"IPAM\":{\"Driver\":"
        + "\"default\",\"Options\":{\"driver\":\"host-local\"},\"Config\":[{\"Subnet\":\"10.250.77.0/24\","
        + "\"Gateway\":\"10.250.77.1\"}]},\"Containers\":{},\"Options\":{},\"Labels\":{}}");
    EngineNetworks.Network network = EngineNetworks.network(answer);
    assertThat(network.name()).isEqualTo("outpost");
    assertThat(network.subnets()).containsExactly("10.250.77.0/24");
    assertThat(network.gateways()).containsExactly("10.250.77.1");
  }

  @Test
  void aContainerOnANamedNetworkHasItsIpThereNotAtTheTopLevel() throws Exception {
    // Podman 4.3 leaves NetworkSettings.IPAddress empty for a container on a network other than its default one.
    JsonNode inspect = EngineHttp.JSON.readTree("{\"Id\":\"abc\",\"Name\":\"/x\",\"State\":{\"Status\":\"running\","
        + "\"Running\":true},\"Config\":{\"Labels\":{}},\"NetworkSettings\":{\"IPAddress\":\"\",\"Networks\":"
        + "{\"outpost\":{\"NetworkID\":\"outpost\",\"Gateway\":\"10.250.77.1\",\"IPAddress\":\"10.250.77.2\","
        + "\"IPPrefixLen\":24}}}}");
    assertThat(InspectedContainers.container(inspect).ip()).isEqualTo("10.250.77.2");
  }
}
