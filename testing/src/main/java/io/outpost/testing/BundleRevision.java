package io.outpost.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A new revision of a built bundle, as a release would ship it, for tests and benchmarks of gateway rollouts: the same
 * entries under another {@code Bundle-Version}, optionally importing one more package (one that no bundle exports
 * makes a revision that does not resolve) and carrying one more entry (to give it a size).
 */
public final class BundleRevision {
  private BundleRevision() {}

  /** The console bundle of an installed distribution at {@code home}. */
  public static Path console(Path home) {
    return home.resolve("system/io/outpost/outpost-console/0.1.0-SNAPSHOT/outpost-console-0.1.0-SNAPSHOT.jar");
  }

  /**
   * Writes {@code original} as revision {@code version} to {@code target}; {@code extraImport} (null: none) is added
   * to {@code Import-Package}, {@code extraEntry} (null: none) as {@code outpost-test/extra.bin}.
   */
  public static Path write(Path original, Path target, String version, String extraImport, byte[] extraEntry) {
    try {
      Files.createDirectories(target.getParent());
      try (InputStream in = Files.newInputStream(original); JarInputStream jar = new JarInputStream(in)) {
        Manifest manifest = jar.getManifest();
        manifest.getMainAttributes().putValue("Bundle-Version", version);
        if (extraImport != null) {
          manifest.getMainAttributes().putValue("Import-Package",
              manifest.getMainAttributes().getValue("Import-Package") + "," + extraImport);
        }
        try (OutputStream out = Files.newOutputStream(target);
            JarOutputStream copy = new JarOutputStream(out, manifest)) {
          for (JarEntry entry = jar.getNextJarEntry(); entry != null; entry = jar.getNextJarEntry()) {
            copy.putNextEntry(new JarEntry(entry.getName()));
            jar.transferTo(copy);
            copy.closeEntry();
          }
          if (extraEntry != null) {
            copy.putNextEntry(new JarEntry("outpost-test/extra.bin"));
            copy.write(extraEntry);
            copy.closeEntry();
          }
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write revision " + version + " of " + original, e);
    }
  }
}
