package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.testing.NetNamespaces;
import io.outpost.testing.Podman;
import io.outpost.testing.SiteLan;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A {@link SiteLan} run whose JVM is killed leaves namespaces, links, a Podman service in the node's namespace, a
 * container and its broker behind; the next run removes all of it before it builds its own, and its own
 * {@code close()} leaves nothing either.
 */
class SiteLanCleanupIT {
  @Test
  void theNextRunRemovesWhatAKilledRunLeftAndItsOwnCloseLeavesNothing() throws Exception {
    Process abandoned = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), AbandonedSiteLan.class.getName())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String[] ready;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(abandoned.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.startsWith("READY "));
      assertThat(line).as("the abandoned run got ready (its stderr is above)").isNotNull();
      ready = line.split(" ");
    } finally {
      abandoned.destroyForcibly(); // as a killed test JVM: no close, no shutdown hooks
      abandoned.waitFor(30, TimeUnit.SECONDS);
    }
    int run = Integer.parseInt(ready[1]);
    String node = ready[2];
    String container = ready[3];
    long broker = Long.parseLong(ready[4]);
    List<String> namespaces = List.of(SiteLan.PREFIX + run + "-lan", SiteLan.PREFIX + run + "-n0");
    List<Long> leftOver = NetNamespaces.pids(namespaces.get(1));
    assertThat(NetNamespaces.list()).containsAll(namespaces);
    assertThat(leftOver).as("the abandoned Podman service in its node's namespace").isNotEmpty();
    assertThat(Podman.containersLabelled("io.outpost.node", node)).hasSize(1);

    SiteLan next = SiteLan.create(List.of("next"));
    try {
      assertThat(NetNamespaces.list()).doesNotContainAnyElementsOf(namespaces);
      assertThat(NetNamespaces.linkExists(SiteLan.PREFIX + run + "-up")).isFalse();
      assertThat(leftOver).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive))
          .as("pid %d", pid).isEmpty());
      assertThat(Podman.containersLabelled("io.outpost.node", node)).as("container %s", container).isEmpty();
      assertThat(ProcessHandle.of(broker).filter(ProcessHandle::isAlive)).as("the run's broker").isEmpty();
      assertThat(Path.of("/tmp/outpost-sitelan", run + ".owner")).doesNotExist();
      assertThat(NetNamespaces.list()).contains(next.lanNamespace(), next.namespace(0));
      assertThat(next.inLan(java.time.Duration.ofSeconds(20), "busybox", "ping", "-c", "1", "-W", "2",
          next.address(0)).ok()).as("the new LAN works").isTrue();
    } finally {
      next.close();
    }
    assertThat(NetNamespaces.list()).doesNotContain(next.lanNamespace(), next.namespace(0));
    assertThat(NetNamespaces.linkExists(next.cloudLink())).isFalse();
    assertThat(Files.exists(next.dir())).isFalse();
  }
}
