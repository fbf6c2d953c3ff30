package io.outpost.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the project checkout, so tests find its scripts and configuration wherever Maven runs them. */
public final class Project {
  private Project() {}

  public static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.exists(dir.resolve("etc/podman/containers.conf")) && Files.exists(dir.resolve("scripts/setup.sh"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("not inside the Outpost checkout: " + Path.of("").toAbsolutePath());
  }

  public static Path containersConf() {
    return root().resolve("etc/podman/containers.conf");
  }
}
