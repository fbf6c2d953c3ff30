package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.broker.EmbeddedBroker;
import io.outpost.testing.Ports;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge with its embedded broker and no CA: plain MQTT on a loopback address is allowed for the bridge's own
 * link, and said so; on any other address only with {@code OUTPOST_INSECURE_PLAINTEXT=true}, else the start stops.
 */
class StandalonePlaintextTest {
  @TempDir Path dir;

  @Test
  void onLoopbackTheBridgesLinkIsAllowedAndTheWarningSaysSo() {
    Map<String, String> settings = new HashMap<>();
    String warning = StandaloneMain.allowPlaintext(EmbeddedBroker.Settings.parse("127.0.0.1:1883", dir), settings);
    assertThat(settings).containsEntry("OUTPOST_INSECURE_PLAINTEXT", "true");
    assertThat(warning).contains("127.0.0.1:1883 WITHOUT TLS").contains("loopback only")
        .contains("OUTPOST_INSECURE_PLAINTEXT=true").contains("insecure.plaintext = true").contains("OUTPOST_CA_DIR");

    Map<String, String> elsewhere = new HashMap<>(Map.of("OUTPOST_BROKER_URL", "tcp://other.example:1883"));
    StandaloneMain.allowPlaintext(EmbeddedBroker.Settings.parse("localhost:1883", dir), elsewhere);
    assertThat(elsewhere).as("another broker: the operator decides").doesNotContainKey("OUTPOST_INSECURE_PLAINTEXT");
  }

  @Test
  void onAnyOtherAddressOnlyTheOperatorsSettingAllowsIt() {
    EmbeddedBroker.Settings everywhere = EmbeddedBroker.Settings.parse("0.0.0.0:1883", dir);
    assertThatThrownBy(() -> StandaloneMain.allowPlaintext(everywhere, new HashMap<>()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OUTPOST_EMBEDDED_BROKER 0.0.0.0:1883")
        .hasMessageContaining("register Nodes").hasMessageContaining("OUTPOST_CA_DIR")
        .hasMessageContaining("OUTPOST_INSECURE_PLAINTEXT=true");
    assertThat(StandaloneMain.allowPlaintext(everywhere, new HashMap<>(Map.of("OUTPOST_INSECURE_PLAINTEXT", "true"))))
        .contains("0.0.0.0:1883 WITHOUT TLS").contains("allowed by OUTPOST_INSECURE_PLAINTEXT=true");
  }

  /** As an operator starts it: the refusal stops the process with status 2 before a broker or client starts. */
  @Test
  void aPlainBrokerForOtherMachinesStopsTheStart() throws Exception {
    int port = Ports.free();
    ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), StandaloneMain.class.getName()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(dir.resolve("bridge.out").toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("OUTPOST_"));
    builder.environment().put("OUTPOST_EMBEDDED_BROKER", "0.0.0.0:" + port);
    builder.environment().put("OUTPOST_EMBEDDED_BROKER_DATA", dir.resolve("broker").toString());
    builder.environment().put("KUBECONFIG", dir.resolve("no-kubeconfig").toString()); // never reached
    Process bridge = builder.start();
    try {
      assertThat(bridge.waitFor(120, TimeUnit.SECONDS)).as("the bridge stops by itself").isTrue();
      String output = Files.readString(dir.resolve("bridge.out"), StandardCharsets.UTF_8);
      assertThat(bridge.exitValue()).as(output).isEqualTo(2);
      assertThat(output).contains("outpost-bridge: invalid configuration: OUTPOST_EMBEDDED_BROKER 0.0.0.0:" + port)
          .contains("OUTPOST_INSECURE_PLAINTEXT=true");
      assertThat(dir.resolve("broker")).as("no broker was started").doesNotExist();
    } finally {
      List<ProcessHandle> children = bridge.descendants().toList();
      children.forEach(ProcessHandle::destroyForcibly);
      bridge.destroyForcibly();
      bridge.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
