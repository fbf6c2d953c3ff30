package io.outpost.bridge.downstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ServiceV1;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Services and EndpointSlices as an edge node programs them. */
class ServiceTranslatorTest {

  @Test
  void headlessExternalNameAndSingleStackServicesKeepTheirMeaning() {
    ServiceV1 headless = ServiceTranslator.service(new ServiceBuilder().withNewMetadata().withName("db").endMetadata()
        .withNewSpec().withClusterIP("None").addNewPort().withPort(5432).endPort().endSpec().build());
    assertThat(headless.clusterIPs()).containsExactly("None");
    assertThat(headless.headless()).isTrue();
    assertThat(headless.ports()).containsExactly(new ServiceV1.ServicePortV1(null, null, 5432, null, null));
    assertThat(headless.typeOrDefault()).isEqualTo("ClusterIP");

    ServiceV1 external = ServiceTranslator.service(new ServiceBuilder().withNewMetadata().withName("ext")
        .endMetadata().withNewSpec().withType("ExternalName").withExternalName("db.example.com").endSpec().build());
    assertThat(external.clusterIPs()).isEmpty();
    assertThat(external.externalName()).isEqualTo("db.example.com");
    assertThat(external.ports()).isEmpty();

    ServiceV1 dual = ServiceTranslator.service(new ServiceBuilder().withNewMetadata().withName("web").endMetadata()
        .withNewSpec().withClusterIP("10.96.0.9").withClusterIPs("10.96.0.9", "fd00:96::9").endSpec().build());
    assertThat(dual.clusterIPs()).containsExactly("10.96.0.9", "fd00:96::9");
    ServiceV1 old = ServiceTranslator.service(new ServiceBuilder().withNewMetadata().withName("web").endMetadata()
        .withNewSpec().withClusterIP("10.96.0.9").endSpec().build());
    assertThat(old.clusterIPs()).as("clusterIP when clusterIPs is not set").containsExactly("10.96.0.9");
    assertThat(old.sessionAffinityTimeoutSeconds()).isNull();
    assertThat(old.publishNotReadyAddresses()).isFalse();
  }

  private static EndpointSlice slice() {
    return new EndpointSliceBuilder().withNewMetadata().withName("web-1").withNamespace("shop")
        .addToLabels("kubernetes.io/service-name", "web").endMetadata().withAddressType("IPv4")
        .addNewEndpoint().withAddresses("10.42.0.5").withNodeName("a-1").endEndpoint()
        .addNewEndpoint().withAddresses("10.42.1.5").withNodeName("a-2").withNewConditions().withReady(false)
        .withServing(true).withTerminating(true).endConditions().endEndpoint()
        .addNewEndpoint().withAddresses("192.0.2.80").endEndpoint()
        .build();
  }

  @Test
  void aSliceKeepsOnlyTheEndpointsOnTheGivenNodesAndMayBeLeftEmpty() {
    EndpointSliceV1 site = ServiceTranslator.slice(slice(), Set.of("a-1", "a-2"));
    assertThat(site.endpoints()).extracting(EndpointSliceV1.EndpointV1::nodeName).containsExactly("a-1", "a-2");
    EndpointSliceV1.EndpointV1 terminating = site.endpoints().get(1);
    assertThat(terminating.isReady()).isFalse();
    assertThat(terminating.isServing()).isTrue();
    assertThat(terminating.isTerminating()).isTrue();
    assertThat(site.endpoints().get(0).ready()).as("unknown stays unknown").isNull();
    assertThat(site.ports()).isEmpty();

    EndpointSliceV1 elsewhere = ServiceTranslator.slice(slice(), Set.of("b-1"));
    assertThat(elsewhere.endpoints()).as("an endpoint without nodeName is in no site").isEmpty();
    assertThat(elsewhere.service()).isEqualTo("web");
    assertThat(ServiceTranslator.serviceOf(new EndpointSliceBuilder(slice()).editMetadata().withLabels(null)
        .endMetadata().build())).as("a slice that names no Service is not routed").isNull();
    assertThat(List.of(site, elsewhere)).allMatch(s -> "IPv4".equals(s.addressType()));
  }
}
