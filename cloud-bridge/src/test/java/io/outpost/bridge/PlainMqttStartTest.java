package io.outpost.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge as an operator starts it ({@code BridgeMain}, its own JVM): a plain {@code tcp://} broker without
 * {@code OUTPOST_INSECURE_PLAINTEXT=true} stops the start with status 2 and a message naming both keys, before
 * anything connects.
 */
class PlainMqttStartTest {
  @TempDir Path dir;

  @Test
  void aPlainBrokerWithoutTheSettingStopsTheStartNamingTheKeys() throws Exception {
    ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
        System.getProperty("java.class.path"), BridgeMain.class.getName()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(dir.resolve("bridge.out").toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("OUTPOST_"));
    builder.environment().put("OUTPOST_BROKER_URL", "tcp://127.0.0.1:1883");
    builder.environment().put("KUBECONFIG", dir.resolve("no-kubeconfig").toString()); // never reached
    Process bridge = builder.start();
    try {
      assertThat(bridge.waitFor(120, TimeUnit.SECONDS)).as("the bridge stops by itself").isTrue();
      String output = java.nio.file.Files.readString(dir.resolve("bridge.out"), StandardCharsets.UTF_8);
      assertThat(bridge.exitValue()).as(output).isEqualTo(2);
      assertThat(output).contains("outpost-bridge: invalid configuration: OUTPOST_BROKER_URL 'tcp://127.0.0.1:1883'"
          + " is plain MQTT").contains("OUTPOST_INSECURE_PLAINTEXT=true");
    } finally {
      List<ProcessHandle> children = bridge.descendants().toList();
      children.forEach(ProcessHandle::destroyForcibly);
      bridge.destroyForcibly();
      bridge.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
