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
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The manager as it runs in the gateway, with a periodic pass only every hour: a container that dies is restarted
 * at once because the manager follows the engine's events, not because a pass came round. (The fixture's own
 * reconciler is not used; the fixture's node label removes the containers afterwards.)
 */
class EngineEventsPodmanTest extends PodmanFixture {
  @Test
  void aContainerThatDiesIsRestartedWithoutWaitingForThePeriodicPass() {
    ObjectRef ref = new ObjectRef("Pod", "default", "watched", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null))));
    ContainerManagerComponent manager = new ContainerManagerComponent(store, config(), null);
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> running(store.status(ref.uid())));
      assertThat(store.status(ref.uid()).containers().get(0).restartCount()).isZero();

      Podman.cli("kill", Podman.appContainersOf(ref.uid()).get(0));

      await().atMost(Duration.ofSeconds(60)).until(() -> {
        PodStatusReport status = store.status(ref.uid());
        return running(status) && status.containers().get(0).restartCount() == 1;
      });
    } finally {
      manager.deactivate();
    }
  }

  @Test
  void changedPodsAndEngineEventsAreHandledByFocusedPassesWithoutListingTheWholeNode() {
    ObjectRef first = pod("first");
    ContainerManagerComponent manager = new ContainerManagerComponent(store, config(), engine);
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> running(store.status(first.uid())));
      int fullLists = engine.fullLists.get();

      ObjectRef second = pod("second");
      manager.objectsChanged(Set.of(second.key()));
      await().atMost(Duration.ofSeconds(60)).until(() -> running(store.status(second.uid())));
      Podman.cli("kill", Podman.appContainersOf(second.uid()).get(0));
      await().atMost(Duration.ofSeconds(60)).until(() -> running(store.status(second.uid()))
          && store.status(second.uid()).containers().get(0).restartCount() == 1);

      assertThat(engine.fullLists.get()).as("no full list for a new pod or an event").isEqualTo(fullLists);
      assertThat(manager.pods()).extracting(p -> p.ref().name()).containsExactly("first", "second");

      store.remove(first.uid());
      manager.objectsChanged(Set.of(first.key()));
      await().atMost(Duration.ofSeconds(60)).until(() -> Podman.containersLabelled(Naming.POD_UID, first.uid())
          .isEmpty());
      assertThat(engine.fullLists.get()).as("a pod gone from the store is removed by a full pass")
          .isGreaterThan(fullLists);
      assertThat(Podman.appContainersOf(second.uid())).hasSize(1);
    } finally {
      manager.deactivate();
    }
  }

  private ObjectRef pod(String name) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null))));
    return ref;
  }

  private static boolean running(PodStatusReport status) {
    return status != null && "running".equals(status.containers().get(0).state().kind());
  }

  private ContainersConfig config() {
    return new TestConfig(node, podman.host(), 3600, 2, Podman.TEST_IMAGE, "sleep 2147483647",
        dir.resolve("volumes-" + node).toString(), "");
  }
}
