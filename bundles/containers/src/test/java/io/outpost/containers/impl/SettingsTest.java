package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SettingsTest {

  @Test
  void failsFastNamingTheMissingKey() {
    assertThatThrownBy(() -> Settings.from(config(null, "unix:///x.sock", 10)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node.name");
    assertThatThrownBy(() -> Settings.from(config("  ", "unix:///x.sock", 10)))
        .hasMessageContaining("node.name");
    assertThatThrownBy(() -> Settings.from(config("n", "", 10))).hasMessageContaining("engine.host");
    assertThatThrownBy(() -> Settings.from(config("n", "unix:///x", 0)))
        .hasMessageContaining("resync.interval.seconds");
  }

  @Test
  void podWorkersAreBounded() {
    assertThatThrownBy(() -> Settings.from(config("edge-1", "unix:///x", 7, 0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pod.workers");
    assertThat(Settings.from(config("edge-1", "unix:///x", 7, 8)).podWorkers()).isEqualTo(8);
  }

  @Test
  void readsTheConfiguration() {
    Settings settings = Settings.from(config(" edge-1 ", "unix:///run/podman/podman.sock", 7));
    assertThat(settings).isEqualTo(new Settings("edge-1", "unix:///run/podman/podman.sock", Duration.ofSeconds(7))
        .withInfra("localhost/pause:1", List.of("sleep", "infinity"))
        // The configuration's eviction.hard default (the kubelet's) gives a nodefs threshold; the short form has none.
        .withStorage(new Settings.Storage(Duration.ofSeconds(10), 1_000_000, new NodefsPressure(0, 0.1))));
    assertThat(new Settings("n", "unix:///x", Duration.ofSeconds(1)).infraImage())
        .isEqualTo(Settings.DEFAULT_INFRA_IMAGE);
  }

  @Test
  void clusterDomainDefaultsToTheKubeletsAndMustBeADomain() {
    Settings settings = Settings.from(config("edge-1", "unix:///x", 7));
    assertThat(settings.clusterDomain()).isEqualTo("cluster.local");
    assertThat(settings.withClusterDomain("edge.example.org").clusterDomain()).isEqualTo("edge.example.org");
    for (String bad : new String[] {"", "Cluster.Local", "a..b", ".local", "local.", "a b"}) {
      assertThatThrownBy(() -> settings.withClusterDomain(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cluster.domain");
    }
  }

  @Test
  void theNodesResolvConfDefaultsToTheKubeletsAndMustBeAbsolute() {
    Settings settings = Settings.from(config("edge-1", "unix:///x", 7));
    assertThat(settings.resolvConf()).isEqualTo(java.nio.file.Path.of("/etc/resolv.conf"));
    assertThat(settings.withResolvConf(java.nio.file.Path.of("/run/systemd/resolve/resolv.conf")).resolvConf())
        .isEqualTo(java.nio.file.Path.of("/run/systemd/resolve/resolv.conf"));
    assertThatThrownBy(() -> settings.withResolvConf(java.nio.file.Path.of("resolv.conf")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resolv.conf must be an absolute path");
  }

  private static ContainersConfig config(String node, String host, int resync) {
    return config(node, host, resync, 4);
  }

  /** The allow.* switches: one table, each off unless its key is true (as a .cfg string or a typed Boolean). */
  @Test
  void eachAllowSwitchIsOffUnlessItsKeyIsTrue() {
    NodeSecurity security = Settings.from(config("edge-1", "unix:///x", 7), java.util.Map.of("allow.privileged",
        " TRUE ", "allow.host.network", Boolean.TRUE, "allow.host.pid", "yes", "allow.host.ipc", "false")).security();
    assertThat(security.allowPrivileged()).isTrue();
    assertThat(security.allowHostNetwork()).isTrue();
    assertThat(security.allowHostPID()).as("only true is true").isFalse();
    assertThat(security.allowHostIPC()).isFalse();
    NodeSecurity none = Settings.from(config("edge-1", "unix:///x", 7)).security();
    assertThat(List.of(none.allowPrivileged(), none.allowHostNetwork(), none.allowHostPID(), none.allowHostIPC()))
        .containsOnly(false);
    assertThat(java.util.Arrays.stream(NodeSecurity.Allow.values()).map(a -> a.key)).containsExactly(
        "allow.privileged", "allow.host.network", "allow.host.pid", "allow.host.ipc");
  }

  private static ContainersConfig config(String node, String host, int resync, int workers) {
    return new TestConfig(node, host, resync, workers, " localhost/pause:1 ", " sleep   infinity ", "", "");
  }
}
