package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineUnreachableTest {

  @Test
  void anUnreachableEngineIsReportedAndRetriedOnTheResyncInterval(@TempDir Path dir) {
    String host = "unix://" + dir.resolve("no-engine.sock");
    FakeStore store = new FakeStore();
    store.put(new ObjectRef("Pod", "ns", "p", "uid-1", "1"), new PodV1("edge", null, null, null, null,
        List.of(new ContainerV1("app", "img", null, null, null, null, null))));
    try (DockerEngine engine = DockerEngine.connect(host)) {
      Reconciler reconciler = new Reconciler(new Settings("edge", host, Duration.ofSeconds(7)), store, engine,
          Clock.systemUTC(), () -> {});

      assertThat(reconciler.reconcile()).isEqualTo(Duration.ofSeconds(7));
      var first = reconciler.engine();
      assertThat(first.reachable()).isFalse();
      assertThat(first.host()).isEqualTo(host);
      assertThat(first.message()).isNotBlank();

      assertThat(reconciler.reconcile()).isEqualTo(Duration.ofSeconds(7));
      assertThat(reconciler.engine()).as("same state, not a new transition").isSameAs(first);
      assertThat(store.recorded).isEmpty();
      assertThat(store.forgotten).isEmpty();
    }
  }
}
