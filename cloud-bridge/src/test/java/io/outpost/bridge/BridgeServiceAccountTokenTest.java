package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeProjectionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceAccountTokensV1;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bound ServiceAccount tokens through the bridge: the TokenRequest it sends for a pod on an edge node (bound to the
 * pod, audience and lifetime as the pod asks), the token routed to that node only, refreshed at 80 % of its
 * lifetime, current again after a node's resync, and no longer requested once the pod is gone. The mock API server
 * has no TokenRequest: {@link TokenRequestMock} answers it from the request.
 */
@EnableKubernetesMockClient(crud = true)
class BridgeServiceAccountTokenTest {
  static KubernetesClient client;
  static KubernetesMockServer server;

  @TempDir Path dir;
  private BridgeHarness h;

  @BeforeEach
  void start() throws Exception {
    h = BridgeHarness.start(dir, client);
  }

  @AfterEach
  void stop() throws Exception {
    h.close(); // also fails the test if the shipped RBAC did not allow serviceaccounts/token create
  }

  /** A pod as the ServiceAccount admission plugin leaves it, plus a second token for another audience. */
  private Pod podWithTokens(String name, String node, String serviceAccount) {
    return h.createPod("shop", name, node, b -> withTokens(b, serviceAccount));
  }

  /** Each test its own ServiceAccount: the mock server's expectations outlive a test. */
  private static PodBuilder withTokens(PodBuilder b, String serviceAccount) {
    return b.editSpec().withServiceAccountName(serviceAccount)
        .addToVolumes(new VolumeBuilder().withName("kube-api-access-x7k2q").withNewProjected().withDefaultMode(420)
            .withSources(new VolumeProjectionBuilder().withNewServiceAccountToken().withExpirationSeconds(3607L)
                    .withPath("token").endServiceAccountToken().build(),
                new VolumeProjectionBuilder().withNewConfigMap().withName("kube-root-ca.crt").addNewItem()
                    .withKey("ca.crt").withPath("ca.crt").endItem().endConfigMap().build())
            .endProjected().build())
        .addToVolumes(new VolumeBuilder().withName("vault").withNewProjected()
            .withSources(new VolumeProjectionBuilder().withNewServiceAccountToken().withAudience("vault")
                .withExpirationSeconds(7200L).withPath("vault/token").endServiceAccountToken().build())
            .endProjected().build())
        .editFirstContainer().addNewVolumeMount().withName("kube-api-access-x7k2q")
        .withMountPath("/var/run/secrets/kubernetes.io/serviceaccount").withReadOnly(true).endVolumeMount()
        .endContainer().endSpec();
  }

  /**
   * The pod's tokens once both have been issued (each is sent as soon as the API server answered it, so the first
   * message may carry one).
   */
  private static Predicate<Downstream> tokensOf(String pod) {
    return m -> m.op() == Downstream.Op.UPSERT && m.ref() != null
        && Downstream.KIND_SERVICE_ACCOUNT_TOKEN.equals(m.ref().kind()) && pod.equals(m.ref().name())
        && m.serviceAccountTokens().tokens().size() == 2;
  }

  @Test
  void tokenRequestsAreBoundToThePodAsAskedAndTheTokensReachOnlyItsNode() throws Exception {
    TokenRequestMock api = TokenRequestMock.serve(server, "shop", "robot-a", asked -> asked);
    FakeEdge a = h.registeredEdge("edge-sa-a");
    FakeEdge b = h.registeredEdge("edge-sa-b");
    h.createPod("shop", "plain", "edge-sa-b");
    Pod pod = podWithTokens("web", "edge-sa-a", "robot-a");

    Downstream message = a.awaitMessage("tokens of web", tokensOf("web"));
    b.awaitUpsert("plain");
    ServiceAccountTokensV1 tokens = message.serviceAccountTokens();
    assertThat(message.ref().uid()).isEqualTo(pod.getMetadata().getUid());
    assertThat(tokens.podUid()).isEqualTo(pod.getMetadata().getUid());
    assertThat(tokens.tokens()).extracting(t -> t.volume() + ":" + t.path())
        .containsExactlyInAnyOrder("kube-api-access-x7k2q:token", "vault:vault/token");

    // What the API server received: one request per audience and lifetime, bound to this pod, as the kubelet sends.
    await().atMost(FakeEdge.TIMEOUT).until(() -> api.seen().size() >= 2);
    assertThat(api.seen()).extracting(TokenRequestMock.Seen::path)
        .containsOnly("/api/v1/namespaces/shop/serviceaccounts/robot-a/token");
    assertThat(api.seen()).extracting(s -> s.request().getSpec().getAudiences() + " "
        + s.request().getSpec().getExpirationSeconds()).containsExactlyInAnyOrder("[] 3607", "[vault] 7200");
    assertThat(api.seen()).allSatisfy(s -> {
      assertThat(s.request().getSpec().getBoundObjectRef().getKind()).isEqualTo("Pod");
      assertThat(s.request().getSpec().getBoundObjectRef().getApiVersion()).isEqualTo("v1");
      assertThat(s.request().getSpec().getBoundObjectRef().getName()).isEqualTo("web");
      assertThat(s.request().getSpec().getBoundObjectRef().getUid()).isEqualTo(pod.getMetadata().getUid());
    });
    // The tokens sent are the ones the API server issued for each file, with their expiry.
    ServiceAccountTokensV1.TokenV1 main = tokens.token("kube-api-access-x7k2q", "token");
    assertThat(TokenRequestMock.claims(main.token())).contains("\"aud\":[]", "\"asked\":3607", "\"pod\":\"web\"");
    assertThat(TokenRequestMock.claims(tokens.token("vault", "vault/token").token()))
        .contains("\"aud\":[\"vault\"]", "\"asked\":7200");
    assertThat(Instant.ofEpochSecond(main.expiresAt())).isBetween(Instant.now().plusSeconds(3500),
        Instant.now().plusSeconds(3700));

    // Least privilege: the other node never sees a token (nor the pod), and nothing logs one.
    assertThat(b.messages()).noneMatch(m -> m.ref() != null
        && Downstream.KIND_SERVICE_ACCOUNT_TOKEN.equals(m.ref().kind()));
    assertThat(h.metric("outpost_bridge_sa_token_requests_total", "outcome", "issued")).isEqualTo(2);
    assertThat(h.metric("outpost_bridge_sa_token_pods")).isEqualTo(1);
  }

  @Test
  void refreshedAtEightyPercentOfTheLifetimeCurrentAfterAResyncAndForgottenWithThePod() throws Exception {
    // The API server grants 10 s whatever is asked (as one with a low maximum would): refresh after about 8 s.
    TokenRequestMock api = TokenRequestMock.serve(server, "shop", "robot-r", asked -> 10);
    FakeEdge edge = h.registeredEdge("edge-sa-r");
    Pod pod = h.createPod("shop", "job", "edge-sa-r", b -> withTokens(b, "robot-r"));
    Downstream first = edge.awaitMessage("first tokens", tokensOf("job"));
    String firstToken = first.serviceAccountTokens().token("kube-api-access-x7k2q", "token").token();
    Instant issued = api.seen().stream().filter(s -> s.token().equals(firstToken)).findFirst().orElseThrow().at();

    Downstream refreshed = edge.awaitMessage("refreshed tokens", tokensOf("job").and(m -> !firstToken.equals(
        m.serviceAccountTokens().token("kube-api-access-x7k2q", "token").token())));
    Instant refreshedAt = api.seen().stream().filter(s -> s.token().equals(refreshed.serviceAccountTokens()
        .token("kube-api-access-x7k2q", "token").token())).findFirst().orElseThrow().at();
    assertThat(Duration.between(issued, refreshedAt)).as("80 %% of a 10 s lifetime")
        .isBetween(Duration.ofMillis(7_000), Duration.ofMillis(9_900));
    assertThat(h.metric("outpost_bridge_sa_token_requests_total", "outcome", "refreshed")).isPositive();

    // A node that was away and still holds the first tokens gets the current ones with its resync answer.
    ObjectRef stale = first.ref();
    List<Downstream> answer = edge.awaitResyncAnswer(edge.resync(List.of(BridgeHarness.ref(pod), stale)));
    assertThat(answer).filteredOn(tokensOf("job")).singleElement().satisfies(m ->
        assertThat(m.serviceAccountTokens().token("kube-api-access-x7k2q", "token").token())
            .isNotEqualTo(firstToken));

    // The pod deleted: its tokens are withdrawn after it and never requested again.
    client.pods().inNamespace("shop").withName("job").withGracePeriod(0).delete();
    edge.awaitMessage("token withdrawn", m -> m.op() == Downstream.Op.DELETE
        && Downstream.KIND_SERVICE_ACCOUNT_TOKEN.equals(m.ref().kind()) && "job".equals(m.ref().name()));
    await().atMost(FakeEdge.TIMEOUT).until(() -> h.metric("outpost_bridge_sa_token_pods") == 0);
    int requests = api.seen().size();
    await().during(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(15))
        .until(() -> api.seen().size() == requests);
  }
}
