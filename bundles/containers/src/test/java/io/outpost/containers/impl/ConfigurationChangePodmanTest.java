package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.testing.Podman;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A configuration change reaches the running manager through {@code modified}: one that leaves the manager's
 * settings as they are (another component's key changed) does nothing, and one of its own keys applies live — the
 * manager goes on under the same object with the new settings, and the pods' containers keep running.
 */
class ConfigurationChangePodmanTest extends PodmanFixture {
  @Test
  void aChangeOfItsOwnKeyAppliesLiveAndAnyOtherChangeDoesNothing() {
    ObjectRef ref = new ObjectRef("Pod", "default", "kept", UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null, List.of(new ContainerV1("app", Podman.TEST_IMAGE,
        "IfNotPresent", List.of("sleep", "3600"), null, null, null))));
    ContainersConfig config = new TestConfig(node, podman.host(), 3600, 2, Podman.TEST_IMAGE, "sleep 2147483647",
        dir.resolve("volumes-" + node).toString(), "");
    ContainerManagerComponent manager = new ContainerManagerComponent(store, config, engine);
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> running(store.status(ref.uid())));
      String container = Podman.appContainersOf(ref.uid()).get(0);
      Settings before = manager.settings();
      int versions = engine.versions.get();

      assertThat(manager.reconfigure(with(config, Map.of()), Map.of("broker.url", "ssl://elsewhere:8883"))).as("another component's key changed").isFalse();
      assertThat(manager.settings()).isSameAs(before);
      assertThat(manager.reconfigure(with(config, Map.of("pod_workers", -1)), Map.of("allow.privileged", "true"))).as("an invalid value").isFalse();
      assertThat(manager.settings()).isSameAs(before);

      assertThat(manager.reconfigure(with(config, Map.of("pod_workers", 3)), Map.of("allow.privileged", "true"))).isTrue();
      assertThat(manager.settings().security().allowPrivileged()).isTrue();
      assertThat(manager.settings().podWorkers()).isEqualTo(3);
      // The restarted reconciler looks at the engine again (its first pass asks for the version) and finds the
      // pod as it was: the same container, running, never restarted.
      await().atMost(Duration.ofSeconds(60)).until(() -> engine.versions.get() > versions);
      await().atMost(Duration.ofSeconds(60)).until(() -> manager.pods().size() == 1);
      assertThat(Podman.appContainersOf(ref.uid())).containsExactly(container);
      PodStatusReport status = store.status(ref.uid());
      assertThat(running(status)).isTrue();
      assertThat(status.containers().get(0).restartCount()).isZero();
    } finally {
      manager.deactivate();
    }
  }

  /** {@code base} with some values replaced, as Configuration Admin hands the changed configuration over. */
  static ContainersConfig with(ContainersConfig base, Map<String, Object> values) {
    return (ContainersConfig) Proxy.newProxyInstance(ContainersConfig.class.getClassLoader(),
        new Class<?>[] {ContainersConfig.class}, (proxy, method, args) -> values.containsKey(method.getName())
            ? values.get(method.getName()) : method.invoke(base, args));
  }

  private static boolean running(PodStatusReport status) {
    return status != null && "running".equals(status.containers().get(0).state().kind());
  }
}
