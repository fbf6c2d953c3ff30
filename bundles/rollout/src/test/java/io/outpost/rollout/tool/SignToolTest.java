package io.outpost.rollout.tool;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's tool: a key pair, a signed manifest of a real file that a node trusting the key verifies. */
class SignToolTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return SignTool.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void aKeyGeneratedAndAnArtifactSignedVerifyOnANodeThatTrustsTheKey() throws Exception {
    assertThat(run("keygen", "ops-2026", dir.toString())).isZero();
    String trusted = out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("ops-2026="))
        .findFirst().orElseThrow();
    Path key = dir.resolve("ops-2026.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(run("keygen", "ops-2026", dir.toString())).as("never overwrites a key").isEqualTo(2);

    Path jar = Files.write(dir.resolve("sync.jar"), "not really a jar".getBytes(StandardCharsets.UTF_8));
    assertThat(run("sign", "--key", key.toString(), "--key-id", "ops-2026", "--type", "bundle", "--name",
        "io.outpost.sync", "--version", "0.2.0", jar.toString())).isZero();
    ArtifactManifest manifest = ArtifactManifest.parse(out.toString(StandardCharsets.UTF_8));
    assertThat(manifest.size()).isEqualTo(16);
    ArtifactSignatures.trusting(trusted).verify(manifest);
  }

  @Test
  void aManifestThatIsNotTheToolsIsAClearError() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArtifactManifest.parse("name: x"))
        .hasMessageContaining("artifact:");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArtifactManifest.parse("artifact:\n  type: bundle\n"))
        .hasMessageContaining("manifest has no");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ArtifactManifest.parse("artifact:\n  script: rm\n"))
        .hasMessageContaining("not understood");
  }

  @Test
  void usageErrorsSayWhatIsMissing() {
    assertThat(run()).isEqualTo(2);
    assertThat(run("keygen", "Bad Id")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("key id");
    assertThat(run("sign", "--key", "x.key", "--key-id", "ops", "--type", "bundle", "--name", "n")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--version");
    assertThat(run("publish")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command");
  }
}
