package io.outpost.itests;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.outpost.testing.Podman;
import io.outpost.testing.SiteNode;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The workloads of the site networking test, as a user and the cluster's controllers would write them: web pods
 * (busybox httpd answering with the pod's name), client pods, a Service with the ClusterIP and NodePort the API
 * server would have allocated (the mock server allocates none), and the Service's EndpointSlice written as the
 * EndpointSlice controller does (the mock server runs no controllers): every ready pod the selector matches, in every
 * site, with its node name, address, zone-free conditions and a Pod targetRef; the bridge filters by site.
 */
final class SiteWorkloads {
  static final int WEB_PORT = 8080;

  private SiteWorkloads() {}

  /** A pod whose httpd answers {@code GET /} on {@link #WEB_PORT} with its own name. */
  static Pod web(String name, SiteNode node, String app) {
    return new PodBuilder().withNewMetadata().withName(name).withLabels(Map.of("app", app))
        .endMetadata().withNewSpec().withNodeName(node.name()).withTerminationGracePeriodSeconds(1L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE)
        .withCommand("sh", "-c", "mkdir -p /www && echo \"$POD_NAME\" > /www/index.html && exec httpd -f -p "
            + WEB_PORT + " -h /www")
        .addNewPort().withName("http").withContainerPort(WEB_PORT).withProtocol("TCP").endPort()
        .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name")
        .endFieldRef().endValueFrom().endEnv()
        .endContainer().endSpec().build();
  }

  /** A pod that only waits: tests run wget and nslookup in it. */
  static Pod client(String name, SiteNode node) {
    return new PodBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withNodeName(node.name()).withTerminationGracePeriodSeconds(1L)
        .addNewContainer().withName("app").withImage(Podman.TEST_IMAGE).withCommand("sleep", "3600").endContainer()
        .endSpec().build();
  }

  /**
   * A NodePort Service for pods labelled {@code app}: port 80 to the pods' {@code http} port, with the ClusterIP and
   * NodePort an API server would have allocated given here.
   */
  static Service service(String namespace, String name, String app, String clusterIp, int nodePort) {
    return new ServiceBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withNewSpec().withType("NodePort").withSelector(Map.of("app", app)).withClusterIP(clusterIp)
        .withClusterIPs(clusterIp).withIpFamilies("IPv4").withIpFamilyPolicy("SingleStack")
        .withSessionAffinity("None").withExternalTrafficPolicy("Cluster").withInternalTrafficPolicy("Cluster")
        .addNewPort().withName("http").withProtocol("TCP").withPort(80).withTargetPort(new IntOrString("http"))
        .withNodePort(nodePort).endPort()
        .endSpec().build();
  }

  /**
   * The Service's one EndpointSlice as the EndpointSlice controller writes it for {@code pods} (ready, running pods
   * the selector matches, on any node): addresses, node names, conditions, target refs, the resolved named port.
   */
  static EndpointSlice slice(Service service, String sliceName, Collection<Pod> pods) {
    List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = pods.stream().map(pod ->
        new EndpointBuilder().withAddresses(pod.getStatus().getPodIP()).withNodeName(pod.getSpec().getNodeName())
            .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
            .withNewTargetRef().withKind("Pod").withNamespace(pod.getMetadata().getNamespace())
            .withName(pod.getMetadata().getName())
            .withUid(pod.getMetadata().getUid()).endTargetRef().build()).toList();
    return new EndpointSliceBuilder().withNewMetadata().withName(sliceName)
        .withNamespace(service.getMetadata().getNamespace())
        .withLabels(Map.of("kubernetes.io/service-name", service.getMetadata().getName(),
            "endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"))
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Service")
            .withName(service.getMetadata().getName()).withUid(service.getMetadata().getUid()).withController(true)
            .withBlockOwnerDeletion(true).build())
        .endMetadata().withAddressType("IPv4").withEndpoints(endpoints)
        .addNewPort().withName("http").withProtocol("TCP").withPort(WEB_PORT).endPort().build();
  }
}
