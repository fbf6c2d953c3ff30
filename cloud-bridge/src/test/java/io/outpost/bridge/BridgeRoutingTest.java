package io.outpost.bridge;

import static io.outpost.bridge.BridgeHarness.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Least-privilege routing of ConfigMaps and Secrets, and edge events written as Kubernetes Events. */
@EnableKubernetesMockClient(crud = true)
class BridgeRoutingTest {
  static KubernetesClient client;

  @TempDir Path dir;
  private BridgeHarness h;

  @BeforeEach
  void start() throws Exception {
    h = BridgeHarness.start(dir, client);
  }

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private ConfigMap configMap(String name, Map<String, String> data) {
    return client.configMaps().inNamespace("shop").resource(new ConfigMapBuilder().withNewMetadata().withName(name)
        .withNamespace("shop").endMetadata().withData(data).build()).createOr(c -> c.update());
  }

  private static Predicate<Downstream> is(Downstream.Op op, String kind, String name) {
    return m -> m.op() == op && m.ref() != null && kind.equals(m.ref().kind()) && name.equals(m.ref().name());
  }

  private Pod podUsing(String name, String node, String configMap, String secret) {
    return h.createPod("shop", name, node, b -> b.editSpec().editFirstContainer()
        .addToEnvFrom(new EnvFromSourceBuilder().withNewConfigMapRef().withName(configMap).endConfigMapRef()
            .withPrefix("CFG_").build())
        .addToEnv(new EnvVarBuilder().withName("DB_PASSWORD").withNewValueFrom().withNewSecretKeyRef()
            .withName(secret).withKey("password").endSecretKeyRef().endValueFrom().build())
        .endContainer().endSpec());
  }

  @Test
  void configMapsAndSecretsGoOnlyToNodesWhosePodsUseThemAndAreWithdrawnAfter() throws Exception {
    FakeEdge a = h.registeredEdge("edge-cm-a");
    FakeEdge b = h.registeredEdge("edge-cm-b");
    configMap("settings", Map.of("mode", "edge"));
    configMap("unused", Map.of("x", "y"));
    client.secrets().inNamespace("shop").resource(new SecretBuilder().withNewMetadata().withName("db")
        .withNamespace("shop").endMetadata().withType("Opaque").withData(Map.of("password", "czNjcmV0")).build())
        .create();
    h.createPod("shop", "plain", "edge-cm-b");
    podUsing("web", "edge-cm-a", "settings", "db");

    Downstream pod = a.awaitUpsert("web");
    Downstream settings = a.awaitMessage("ConfigMap settings", is(Downstream.Op.UPSERT, "ConfigMap", "settings"));
    Downstream db = a.awaitMessage("Secret db", is(Downstream.Op.UPSERT, "Secret", "db"));
    assertThat(settings.seq()).as("dependencies before the pod").isLessThan(pod.seq());
    assertThat(db.seq()).isLessThan(pod.seq());
    assertThat(settings.configMap().data()).containsEntry("mode", "edge");
    assertThat(db.secret().text("password")).isEqualTo("s3cret");
    PodV1.ContainerV1 app = pod.pod().containers().get(0);
    assertThat(app.envFrom()).singleElement().satisfies(f -> {
      assertThat(f.prefix()).isEqualTo("CFG_");
      assertThat(f.configMapRef().name()).isEqualTo("settings");
    });
    assertThat(app.env()).contains(new PodV1.EnvVarV1("DB_PASSWORD", null,
        new PodV1.EnvSourceV1(null, new PodV1.KeyRefV1("db", "password", null), null)));

    // A change to the ConfigMap costs one message to the one node that uses it.
    long before = a.messages().size();
    configMap("settings", Map.of("mode", "offline-first"));
    Downstream changed = a.awaitMessage("changed ConfigMap", m -> is(Downstream.Op.UPSERT, "ConfigMap", "settings")
        .test(m) && "offline-first".equals(m.configMap().data().get("mode")));
    assertThat(changed.seq()).isGreaterThan(pod.seq());
    b.awaitUpsert("plain");
    assertThat(a.messages().subList((int) before, a.messages().size())).hasSize(1);

    // A pod may reference a ConfigMap before it exists: it is sent once it does.
    podUsing("late", "edge-cm-a", "later", "db");
    a.awaitUpsert("late");
    configMap("later", Map.of("k", "v"));
    a.awaitMessage("ConfigMap later", is(Downstream.Op.UPSERT, "ConfigMap", "later"));

    // Withdrawn when no pod on the node uses it any more: pod first, then what it used.
    client.pods().inNamespace("shop").withName("web").withGracePeriod(0).delete();
    Downstream podGone = a.awaitMessage("DELETE web", FakeEdge.deleteOf("web"));
    Downstream settingsGone = a.awaitMessage("DELETE settings", is(Downstream.Op.DELETE, "ConfigMap", "settings"));
    assertThat(settingsGone.seq()).isGreaterThan(podGone.seq());
    assertThat(a.first(is(Downstream.Op.DELETE, "Secret", "db"))).as("still used by pod late").isEmpty();

    // Another node gets it only when one of its pods uses it.
    podUsing("web-b", "edge-cm-b", "settings", "db");
    b.awaitMessage("ConfigMap settings on b", is(Downstream.Op.UPSERT, "ConfigMap", "settings"));
    b.awaitUpsert("web-b");

    for (FakeEdge edge : List.of(a, b)) {
      assertThat(edge.messages()).noneMatch(m -> m.ref() != null && "unused".equals(m.ref().name()));
      assertThat(edge.undecodable()).isEmpty();
    }
    assertThat(b.messages()).noneMatch(m -> m.ref() != null && List.of("web", "late", "later")
        .contains(m.ref().name()));
  }

  @Test
  void edgeEventsBecomeKubernetesEventsOnThePodOnceEvenIfRedelivered() throws Exception {
    FakeEdge edge = h.registeredEdge("edge-ev");
    FakeEdge other = h.registeredEdge("edge-ev-other");
    Pod web = h.createPod("shop", "web", "edge-ev");
    edge.awaitUpsert("web");
    ObjectRef ref = ref(web);
    EventReport pulled = new EventReport(Codec.VERSION, "edge-ev", "00000000000000a1", ref, "Normal", "Pulled",
        "Successfully pulled image \"docker.io/library/nginx:1.27\"", 1, "2026-11-23T10:00:00Z",
        "2026-11-23T10:00:00Z");
    Codec codec = new Codec();
    edge.publish(Topics.Up.EVENT, codec.encode(pulled));
    edge.publish(Topics.Up.EVENT, codec.encode(pulled)); // QoS 1 redelivery
    EventReport backOff = new EventReport(Codec.VERSION, "edge-ev", "00000000000000b2", ref, "Warning", "BackOff",
        "Back-off restarting failed container app", 3, "2026-11-23T10:01:00Z", "2026-11-23T10:05:00Z");
    edge.publish(Topics.Up.EVENT, codec.encode(new EventReport(backOff.v(), backOff.node(), backOff.id(), ref,
        backOff.type(), backOff.reason(), backOff.message(), 1, backOff.firstTimestamp(), backOff.firstTimestamp())));
    edge.publish(Topics.Up.EVENT, codec.encode(backOff));
    // Spoofed: another node reporting on a pod it does not run.
    other.publish(Topics.Up.EVENT, codec.encode(new EventReport(Codec.VERSION, "edge-ev-other", "00000000000000c3",
        ref, "Warning", "Failed", "lies", 1, "2026-11-23T10:00:00Z", "2026-11-23T10:00:00Z")));

    await().atMost(FakeEdge.TIMEOUT).until(() -> h.rejected("not_bound_to_node") == 1
        && h.metric("outpost_bridge_duplicates_total", "channel", "event") == 1
        && h.kubeWrites("events") == 3);
    Event pulledEvent = client.v1().events().inNamespace("shop").withName("web.00000000000000a1").get();
    assertThat(pulledEvent.getInvolvedObject().getUid()).isEqualTo(web.getMetadata().getUid());
    assertThat(pulledEvent.getInvolvedObject().getKind()).isEqualTo("Pod");
    assertThat(pulledEvent.getReason()).isEqualTo("Pulled");
    assertThat(pulledEvent.getType()).isEqualTo("Normal");
    assertThat(pulledEvent.getSource().getHost()).isEqualTo("edge-ev");
    assertThat(pulledEvent.getCount()).isEqualTo(1);
    Event backOffEvent = client.v1().events().inNamespace("shop").withName("web.00000000000000b2").get();
    assertThat(backOffEvent.getCount()).isEqualTo(3);
    assertThat(backOffEvent.getLastTimestamp()).isEqualTo("2026-11-23T10:05:00Z");
    assertThat(client.v1().events().inNamespace("shop").list().getItems()).hasSize(2);
  }
}
