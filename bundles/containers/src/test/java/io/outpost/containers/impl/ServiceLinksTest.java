package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.EnvVarV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Service environment variables as the kubelet builds them (envvars.go {@code FromServices},
 * kubelet_pods.go {@code getServiceEnvVarMap} and {@code makeEnvironmentVariables}).
 */
class ServiceLinksTest {
  private final FakeStore store = new FakeStore();

  static ServiceV1 service(String ip, ServicePortV1... ports) {
    return new ServiceV1("ClusterIP", ip == null ? List.of() : List.of(ip), List.of(ports), null, null, null, null,
        false, null);
  }

  static PodV1 pod(Boolean links, List<EnvVarV1> env) {
    return new PodV1("node", "Always", 1L, null, null, List.of(container(env)), null, null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, null, links);
  }

  static ContainerV1 container(List<EnvVarV1> env) {
    return new ContainerV1("app", "img", null, List.of("echo", "$(REDIS_MASTER_SERVICE_HOST)"), null, null, env, null,
        null, null, null);
  }

  private void services() {
    store.putService("default", "kubernetes", service("10.96.0.1", new ServicePortV1("https", "TCP", 443, "6443",
        null)));
    store.putService("shop", "redis-master", service("10.0.0.11", new ServicePortV1(null, null, 6379, null, null)));
    store.putService("shop", "web", service("fd00::7", new ServicePortV1("http", "TCP", 80, null, null),
        new ServicePortV1("dns-udp", "UDP", 53, null, null)));
    store.putService("shop", "headless", service("None", new ServicePortV1(null, null, 80, null, null)));
    store.putService("shop", "external", new ServiceV1("ExternalName", List.of(), List.of(), null, null, null, null,
        false, "example.com"));
    store.putService("other", "db", service("10.0.0.12", new ServicePortV1(null, null, 5432, null, null)));
  }

  private List<String> resolve(PodV1 pod) throws EnvResolver.ConfigError {
    return new EnvResolver(store, "node").resolve(new ObjectRef("Pod", "shop", "p", "uid", "1"), pod,
        pod.containers().get(0), null);
  }

  @Test
  void everyServiceOfTheNamespaceWithAClusterIpAndTheMasterServiceGiveTheKubeletsVariables() throws Exception {
    services();
    assertThat(resolve(pod(null, null))).containsExactly(
        "KUBERNETES_SERVICE_HOST=10.96.0.1",
        "KUBERNETES_SERVICE_PORT=443",
        "KUBERNETES_SERVICE_PORT_HTTPS=443",
        "KUBERNETES_PORT=tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443",
        "KUBERNETES_PORT_443_TCP_PROTO=tcp",
        "KUBERNETES_PORT_443_TCP_PORT=443",
        "KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1",
        "REDIS_MASTER_SERVICE_HOST=10.0.0.11",
        "REDIS_MASTER_SERVICE_PORT=6379",
        "REDIS_MASTER_PORT=tcp://10.0.0.11:6379",
        "REDIS_MASTER_PORT_6379_TCP=tcp://10.0.0.11:6379",
        "REDIS_MASTER_PORT_6379_TCP_PROTO=tcp",
        "REDIS_MASTER_PORT_6379_TCP_PORT=6379",
        "REDIS_MASTER_PORT_6379_TCP_ADDR=10.0.0.11",
        "WEB_SERVICE_HOST=fd00::7",
        "WEB_SERVICE_PORT=80",
        "WEB_SERVICE_PORT_HTTP=80",
        "WEB_SERVICE_PORT_DNS_UDP=53",
        "WEB_PORT=tcp://[fd00::7]:80",
        "WEB_PORT_80_TCP=tcp://[fd00::7]:80",
        "WEB_PORT_80_TCP_PROTO=tcp",
        "WEB_PORT_80_TCP_PORT=80",
        "WEB_PORT_80_TCP_ADDR=fd00::7",
        "WEB_PORT_53_UDP=udp://[fd00::7]:53",
        "WEB_PORT_53_UDP_PROTO=udp",
        "WEB_PORT_53_UDP_PORT=53",
        "WEB_PORT_53_UDP_ADDR=fd00::7");
  }

  @Test
  void withoutServiceLinksOnlyTheMasterService() throws Exception {
    services();
    assertThat(resolve(pod(false, null))).allMatch(v -> v.startsWith("KUBERNETES_")).hasSize(8);
    store.services.clear();
    assertThat(resolve(pod(true, null))).as("no Service known yet: none").isEmpty();
  }

  @Test
  void containerEnvOverridesServiceVariablesAndItsReferencesSeeThem() throws Exception {
    services();
    List<String> env = resolve(pod(true, List.of(new EnvVarV1("REDIS_MASTER_SERVICE_PORT", "7000"),
        new EnvVarV1("REDIS_URL", "redis://$(REDIS_MASTER_SERVICE_HOST):$(REDIS_MASTER_SERVICE_PORT)"))));
    assertThat(env).startsWith("REDIS_MASTER_SERVICE_PORT=7000",
        "REDIS_URL=redis://10.0.0.11:7000").doesNotContain("REDIS_MASTER_SERVICE_PORT=6379")
        .contains("REDIS_MASTER_SERVICE_HOST=10.0.0.11");
    assertThat(env.stream().filter(v -> v.startsWith("REDIS_MASTER_SERVICE_PORT="))).hasSize(1);
    assertThat(Expansion.expand(container(null).command(), Expansion.variables(env))).as("command sees them")
        .containsExactly("echo", "10.0.0.11");
  }

  @Test
  void aServiceOfThePodsNamespaceNamedKubernetesTakesTheMastersPlace() {
    store.putService("default", "kubernetes", service("10.96.0.1", new ServicePortV1(null, null, 443, null, null)));
    store.putService("shop", "kubernetes", service("10.0.0.99", new ServicePortV1(null, null, 8443, null, null)));
    assertThat(ServiceLinks.variables(store, "shop", true)).containsEntry("KUBERNETES_SERVICE_HOST", "10.0.0.99");
    assertThat(ServiceLinks.variables(store, "shop", false)).containsEntry("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    assertThat(ServiceLinks.variables(store, "other", true)).containsEntry("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  }
}
