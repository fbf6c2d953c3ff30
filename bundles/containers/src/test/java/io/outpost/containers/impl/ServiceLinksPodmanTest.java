package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.EnvVarV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.testing.Podman;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Service environment variables read back from the real containers' environment on Podman 4.3: with
 * {@code enableServiceLinks} true (the default) and false, overridden by the container's own {@code env}, seen by
 * {@code $(VAR)} references, and only for the Services known when the container is created.
 */
class ServiceLinksPodmanTest extends PodmanFixture {

  @BeforeEach
  void services() {
    store.putService("default", "kubernetes", ServiceLinksTest.service("10.96.0.1",
        new ServicePortV1("https", "TCP", 443, "6443", null)));
    store.putService("shop", "redis-master", ServiceLinksTest.service("10.0.0.11",
        new ServicePortV1(null, null, 6379, null, null)));
    store.putService("other", "db", ServiceLinksTest.service("10.0.0.12",
        new ServicePortV1(null, null, 5432, null, null)));
  }

  private ObjectRef run(Boolean links, List<EnvVarV1> env, List<String> args) {
    ObjectRef ref = new ObjectRef("Pod", "shop", "links", UUID.randomUUID().toString(), "1");
    ContainerV1 app = new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c",
        "echo \"$0\" > /tmp/arg; exec sleep 3600"), args, null, env, null, null, null, null);
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(app), null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, links));
    reconcileUntil(ref.uid(), s -> "running".equals(s.containers().get(0).state().kind()));
    return ref;
  }

  /** The container's environment, as its processes see it. */
  private Map<String, String> environment(ObjectRef ref) {
    return Podman.cli("exec", containerId(ref, "app"), "env").lines().filter(l -> l.indexOf('=') > 0)
        .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1),
            (a, b) -> b));
  }

  @Test
  void serviceLinksGiveTheNamespacesServicesAndTheMasterServiceTheKubeletsVariables() {
    Map<String, String> env = environment(run(null, null, null));
    assertThat(env).containsEntry("REDIS_MASTER_SERVICE_HOST", "10.0.0.11")
        .containsEntry("REDIS_MASTER_SERVICE_PORT", "6379")
        .containsEntry("REDIS_MASTER_PORT", "tcp://10.0.0.11:6379")
        .containsEntry("REDIS_MASTER_PORT_6379_TCP", "tcp://10.0.0.11:6379")
        .containsEntry("REDIS_MASTER_PORT_6379_TCP_PROTO", "tcp")
        .containsEntry("REDIS_MASTER_PORT_6379_TCP_PORT", "6379")
        .containsEntry("REDIS_MASTER_PORT_6379_TCP_ADDR", "10.0.0.11")
        .containsEntry("KUBERNETES_SERVICE_HOST", "10.96.0.1")
        .containsEntry("KUBERNETES_SERVICE_PORT", "443")
        .containsEntry("KUBERNETES_SERVICE_PORT_HTTPS", "443")
        .containsEntry("KUBERNETES_PORT", "tcp://10.96.0.1:443")
        .doesNotContainKey("DB_SERVICE_HOST");
  }

  @Test
  void withoutServiceLinksOnlyTheMasterServicesVariables() {
    Map<String, String> env = environment(run(false, null, null));
    assertThat(env).containsEntry("KUBERNETES_SERVICE_HOST", "10.96.0.1").containsEntry("KUBERNETES_PORT_443_TCP_ADDR",
        "10.96.0.1");
    assertThat(env.keySet()).noneMatch(k -> k.startsWith("REDIS_MASTER_") || k.startsWith("DB_"));
  }

  @Test
  void theContainersOwnEnvOverridesThemAndReferencesSeeThem() {
    ObjectRef ref = run(null, List.of(new EnvVarV1("REDIS_MASTER_SERVICE_PORT", "7000"),
        new EnvVarV1("REDIS_URL", "redis://$(REDIS_MASTER_SERVICE_HOST):$(REDIS_MASTER_SERVICE_PORT)")),
        List.of("$(KUBERNETES_SERVICE_HOST)"));
    Map<String, String> env = environment(ref);
    assertThat(env).containsEntry("REDIS_MASTER_SERVICE_PORT", "7000")
        .containsEntry("REDIS_URL", "redis://10.0.0.11:7000").containsEntry("REDIS_MASTER_SERVICE_HOST", "10.0.0.11");
    assertThat(exec(ref, "app", "cat", "/tmp/arg")).as("args see them too").isEqualTo("10.96.0.1");
  }

  @Test
  void aServiceThatArrivesLaterReachesOnlyContainersCreatedAfterIt() {
    ObjectRef early = run(null, null, null);
    store.putService("shop", "late", ServiceLinksTest.service("10.0.0.13",
        new ServicePortV1(null, null, 8080, null, null)));
    reconciler.reconcile();
    assertThat(environment(early)).doesNotContainKey("LATE_SERVICE_HOST");
    assertThat(environment(run(null, null, null))).containsEntry("LATE_SERVICE_HOST", "10.0.0.13");
  }
}
