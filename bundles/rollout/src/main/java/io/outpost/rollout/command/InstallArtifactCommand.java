package io.outpost.rollout.command;

import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.GatewayArtifacts;
import io.outpost.rollout.InstallOutcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code outpost:install-artifact <manifest> <artifact>}: installs a signed Outpost bundle from files on the node,
 * with the same checks, health gate and rollback as a rollout; fails (non-zero over SSH) unless it is installed.
 */
@Command(scope = "outpost", name = "install-artifact",
    description = "Installs a signed Outpost bundle (manifest from the signing tool + the jar), with rollback")
@Service
public class InstallArtifactCommand implements Action {
  @Reference
  GatewayArtifacts artifacts;

  @Argument(index = 0, name = "manifest", required = true, description = "the signed manifest (YAML) file")
  String manifest;

  @Argument(index = 1, name = "artifact", required = true, description = "the bundle jar")
  String artifact;

  @Override
  public Object execute() throws Exception {
    ArtifactManifest parsed = ArtifactManifest.parse(Files.readString(Path.of(manifest), StandardCharsets.UTF_8));
    InstallOutcome outcome = artifacts.install(parsed, Path.of(artifact));
    String line = outcome.bundle() + " " + parsed.version() + ": " + outcome.result()
        + (outcome.previousVersion() == null ? "" : " (was " + outcome.previousVersion() + ")")
        + (outcome.reason() == null ? "" : " — " + outcome.reason());
    if (!outcome.installed()) {
      throw new IllegalStateException(line);
    }
    System.out.println(line);
    return null;
  }
}
