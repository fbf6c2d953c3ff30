package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.testing.Podman;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The manager's dynamic, optional {@code PodNetwork} reference as Declarative Services drives it (the field set and
 * cleared while the manager runs): pods created while it is there join it, pods created after it is withdrawn do not,
 * none is restarted either way, and it is still followed after the manager restarted with new settings.
 */
class PodNetworkServicePodmanTest extends SiteNetworkFixture {

  private ObjectRef put(ContainerManagerComponent manager, String name) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null))));
    manager.objectsChanged(Set.of(ref.key()));
    return ref;
  }

  private PodStatusReport running(ObjectRef ref) {
    return await().atMost(Duration.ofSeconds(60)).until(() -> store.status(ref.uid()), s -> s != null
        && "running".equals(s.containers().get(0).state().kind()) && s.podIP() != null);
  }

  @Test
  void podsCreatedWhileThePodNetworkIsRegisteredJoinItAndNoneIsRestartedWhenItGoes() {
    ContainersConfig config = new TestConfig(node, podman.host(), 3600, 2, Podman.TEST_IMAGE, "sleep 2147483647",
        dir.resolve("volumes-" + node).toString(), "");
    ContainerManagerComponent manager = new ContainerManagerComponent(store, config, engine);
    try {
      TestNetwork network = network(null);
      String prefix = network.subnet().substring(0, network.subnet().length() - "0/24".length());
      manager.podNetwork = network; // what DS does when the networking feature registers it
      ObjectRef joined = put(manager, "joined");
      PodStatusReport first = running(joined);
      assertThat(first.podIP()).startsWith(prefix);

      manager.podNetwork = null; // withdrawn
      ObjectRef plain = put(manager, "plain");
      assertThat(running(plain).podIP()).startsWith("10.88.");

      assertThat(manager.reconfigure(ConfigurationChangePodmanTest.with(config, Map.of("pod_workers", 3)), Map.of()))
          .isTrue();
      manager.podNetwork = network; // registered again after the manager restarted with new settings
      ObjectRef again = put(manager, "again");
      assertThat(running(again).podIP()).startsWith(prefix);

      PodStatusReport kept = store.status(joined.uid());
      assertThat(kept.podIP()).isEqualTo(first.podIP());
      assertThat(kept.containers().get(0).restartCount()).isZero();
      assertThat(Podman.infraContainersOf(joined.uid())).hasSize(1);
    } finally {
      manager.deactivate();
    }
  }
}
