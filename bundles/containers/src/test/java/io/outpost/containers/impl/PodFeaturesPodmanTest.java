package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PortV1;
import io.outpost.protocol.ResourcesV1;
import io.outpost.testing.Podman;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Pod features against Podman: init containers, host ports, resource limits, $(VAR) references. */
class PodFeaturesPodmanTest extends PodmanFixture {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectRef ref(String name) {
    return new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
  }

  private PodV1 pod(String image, String restartPolicy, List<String> command) {
    return new PodV1(node, restartPolicy, 1L, null, null, List.of(new ContainerV1("app", image, "IfNotPresent",
        command, null, null, null)));
  }

  private static JsonNode inspect(String id) throws Exception {
    return JSON.readTree(Podman.cli("inspect", id)).get(0);
  }

  @Test
  void initContainersRunInOrderToCompletionBeforeTheAppContainer() throws Exception {
    ObjectRef ref = ref("initialised");
    store.put(ref, new PodV1(node, "Always", 1L, null, null,
        List.of(new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", List.of("sleep", "3600"), null, null,
            null)),
        List.of(new ContainerV1("first", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", "echo one"), null,
                null, null),
            new ContainerV1("second", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", "echo two"), null,
                null, null))));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));

    assertThat(status.initContainers()).extracting(c -> c.name() + "=" + c.state().kind() + "/"
        + c.state().exitCode()).containsExactly("first=terminated/0", "second=terminated/0");
    Map<String, JsonNode> byName = new java.util.HashMap<>();
    for (String id : Podman.appContainersOf(ref.uid())) {
      JsonNode container = inspect(id);
      byName.put(container.at("/Config/Labels/io.outpost.container").asText(), container);
    }
    assertThat(byName).containsOnlyKeys("first", "second", "app");
    Instant firstDone = Instant.parse(byName.get("first").at("/State/FinishedAt").asText());
    Instant secondStarted = Instant.parse(byName.get("second").at("/State/StartedAt").asText());
    Instant secondDone = Instant.parse(byName.get("second").at("/State/FinishedAt").asText());
    Instant appStarted = Instant.parse(byName.get("app").at("/State/StartedAt").asText());
    assertThat(secondStarted).isAfterOrEqualTo(firstDone);
    assertThat(appStarted).isAfterOrEqualTo(secondDone);
    assertThat(engine.starts.get()).as("infra, first, second, app: once each").isEqualTo(4);
  }

  @Test
  void aFailedInitContainerFailsAPodThatNeverRestartsAndItsAppNeverStarts() {
    ObjectRef ref = ref("init-fails");
    store.put(ref, new PodV1(node, "Never", 1L, null, null,
        List.of(new ContainerV1("app", Podman.TEST_IMAGE, "IfNotPresent", List.of("sleep", "3600"), null, null,
            null)),
        List.of(new ContainerV1("check", Podman.TEST_IMAGE, "IfNotPresent", List.of("sh", "-c", "exit 3"), null,
            null, null))));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Failed".equals(s.phase()));

    assertThat(status.initContainers()).singleElement().satisfies(c -> assertThat(c.state().exitCode()).isEqualTo(3));
    assertThat(status.containers()).singleElement()
        .satisfies(c -> assertThat(c.state().reason()).isEqualTo("PodInitializing"));
    reconciler.reconcile();
    assertThat(Podman.appContainersOf(ref.uid())).as("only the init container was ever created").hasSize(1);
  }

  private PodV1 webOnHostPort(int hostPort) {
    return new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("web", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sh", "-c", "echo published > /tmp/index.html && exec httpd -f -p 8080 -h /tmp"),
        null, null, null, null, null, List.of(new PortV1("http", 8080, hostPort, "TCP", "127.0.0.1")))));
  }

  @Test
  void aHostPortIsPublishedOnTheNodeThroughTheInfraContainer() throws Exception {
    ObjectRef ref = ref("published");
    int hostPort = io.outpost.testing.Ports.free();
    store.put(ref, webOnHostPort(hostPort));

    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));

    HttpClient http = HttpClient.newHttpClient();
    String body = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hostPort + "/index.html")).build(),
        HttpResponse.BodyHandlers.ofString()).body(), b -> b.contains("published"));
    assertThat(body).contains("published");
  }

  @Test
  void aHostPortAlreadyTakenIsAClearStatusAndEventNotAnException() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      ObjectRef ref = ref("port-taken");
      store.put(ref, webOnHostPort(taken.getLocalPort()));
      ObjectRef other = ref("bystander");
      store.put(other, pod(Podman.TEST_IMAGE, "Always", List.of("sleep", "3600")));

      PodStatusReport status = reconcileUntil(ref.uid(), s -> s.containers().get(0).state().message() != null
          && s.containers().get(0).state().message().startsWith("Failed to create pod sandbox"));

      assertThat(status.phase()).isEqualTo("Pending");
      assertThat(status.containers().get(0).state().reason()).isEqualTo("ContainerCreating");
      assertThat(status.containers().get(0).state().message()).containsIgnoringCase("address already in use");
      assertThat(store.events).anySatisfy(e -> assertThat(e.reason()).isEqualTo("FailedCreatePodSandBox"));
      reconcileUntil(other.uid(), s -> "Running".equals(s.phase()));
    }
  }

  @Test
  void resourceLimitsReachTheEngineAsTheKubeletSetsThem() throws Exception {
    ObjectRef ref = ref("limited");
    store.put(ref, new PodV1(node, null, 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null, null,
        new ResourcesV1(250L, 500L, null, 64L * 1024 * 1024)))));

    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));

    JsonNode host = inspect(Podman.appContainersOf(ref.uid()).get(0)).at("/HostConfig");
    assertThat(host.at("/Memory").asLong()).isEqualTo(64L * 1024 * 1024);
    assertThat(host.at("/CpuPeriod").asLong()).isEqualTo(100_000L);
    assertThat(host.at("/CpuQuota").asLong()).as("half a CPU").isEqualTo(50_000L);
    assertThat(host.at("/CpuShares").asLong()).isEqualTo(256L);
    assertThat(inspect(Podman.infraContainersOf(ref.uid()).get(0)).at("/HostConfig/Memory").asLong())
        .as("the infra container is not limited").isZero();
    // Logs are capped (10 MiB by default, as the kubelet's): an endless logger must not fill a small node's disk.
    assertThat(host.at("/LogConfig/Size").asText()).isEqualTo("10.49MB");
    assertThat(inspect(Podman.infraContainersOf(ref.uid()).get(0)).at("/HostConfig/LogConfig/Size").asText())
        .isEqualTo("10.49MB");
  }

  @Test
  void variableReferencesAreExpandedInEnvCommandAndArgsAsTheKubeletDoes() throws Exception {
    ObjectRef ref = ref("expanded");
    // Unexpanded, sleep would get "$(DURATION)" and exit at once: Running says the argument was expanded.
    store.put(ref, new PodV1(node, "Never", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep"), List.of("$(DURATION)"), null,
        List.of(new PodV1.EnvVarV1("A", "hello"), new PodV1.EnvVarV1("B", "$(A)-world"),
            new PodV1.EnvVarV1("C", "$$(A)"), new PodV1.EnvVarV1("D", "$(MISSING) $(LATER)"),
            new PodV1.EnvVarV1("LATER", "defined after D"), new PodV1.EnvVarV1("DURATION", "3600"))))));

    reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));

    JsonNode container = inspect(Podman.appContainersOf(ref.uid()).get(0));
    List<String> env = new java.util.ArrayList<>();
    container.at("/Config/Env").forEach(e -> env.add(e.asText()));
    assertThat(env).contains("A=hello", "B=hello-world", "C=$(A)", "D=$(MISSING) $(LATER)", "DURATION=3600");
    assertThat(container.at("/Args").toString()).contains("3600").doesNotContain("DURATION");
  }
}
