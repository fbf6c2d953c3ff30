package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.testing.Podman;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manager as it runs in the gateway, with a periodic pass only every hour: a container that dies is restarted
 * at once because the manager follows the engine's events, not because a pass came round.
 */
class EngineEventsPodmanTest {
  @TempDir
  static Path dir;
  static Podman podman;

  @BeforeAll
  static void startPodman() {
    podman = Podman.start(dir.resolve("podman"));
  }

  @AfterAll
  static void stopPodman() {
    podman.close();
  }

  @Test
  void aContainerThatDiesIsRestartedWithoutWaitingForThePeriodicPass() {
    String node = "events-" + UUID.randomUUID().toString().substring(0, 8);
    FakeStore store = new FakeStore();
    ObjectRef ref = new ObjectRef("Pod", "default", "watched", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null))));
    ContainerManagerComponent manager = new ContainerManagerComponent(store, config(node));
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
      Podman.removeContainersLabelled(Naming.NODE, node);
    }
  }

  private static boolean running(PodStatusReport status) {
    return status != null && "running".equals(status.containers().get(0).state().kind());
  }

  private static ContainersConfig config(String node) {
    return new ContainersConfig() {
      @Override
      public Class<ContainersConfig> annotationType() {
        return ContainersConfig.class;
      }

      @Override
      public String node_name() {
        return node;
      }

      @Override
      public String engine_host() {
        return podman.host();
      }

      @Override
      public int resync_interval_seconds() {
        return 3600;
      }

      @Override
      public int pod_workers() {
        return 2;
      }

      @Override
      public String infra_image() {
        return Podman.TEST_IMAGE;
      }

      @Override
      public String infra_command() {
        return "sleep 2147483647";
      }

      @Override
      public String volumes_dir() {
        return dir.resolve("volumes").toString();
      }

      @Override
      public String hostpath_allow() {
        return "";
      }
    };
  }
}
