package io.outpost.rollout.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.rollout.ArtifactManifest;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.apache.felix.framework.FrameworkFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;

/**
 * The installer on a real OSGi framework (Apache Felix, in-process): an Outpost bundle {@code io.outpost.demo}
 * exporting a package and a bundle {@code io.outpost.user} importing it. A new revision is installed and its
 * dependant comes back active; one that does not resolve fails the health gate and the running revision is put back;
 * a jar that is not what the signed manifest names, a foreign bundle, or the same version change nothing.
 */
class GatewayInstallerTest {
  private static final Duration GATE = Duration.ofSeconds(20);
  @TempDir Path dir;
  private Framework framework;
  private BundleContext context;
  private GatewayInstaller installer;

  @BeforeEach
  void startFramework() throws Exception {
    framework = new FrameworkFactory().newFramework(Map.of(Constants.FRAMEWORK_STORAGE,
        dir.resolve("felix").toString(), Constants.FRAMEWORK_STORAGE_CLEAN,
        Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
    framework.start();
    context = framework.getBundleContext();
    context.installBundle(jar("demo-1.0.0.jar", "io.outpost.demo", "1.0.0",
        Map.of("Export-Package", "io.outpost.demo.api;version=1.0.0"), true).toUri().toString()).start();
    context.installBundle(jar("user.jar", "io.outpost.user", "1.0.0",
        Map.of("Import-Package", "io.outpost.demo.api;version=\"[1,2)\""), false).toUri().toString()).start();
    installer = new GatewayInstaller(context, dir.resolve("rollback"));
  }

  @AfterEach
  void stopFramework() throws Exception {
    framework.stop();
    framework.waitForStop(20_000);
  }

  /** A bundle jar with those headers; {@code withClass}: one resource in the exported package. */
  private Path jar(String file, String name, String version, Map<String, String> headers, boolean withClass)
      throws Exception {
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.putValue("Bundle-ManifestVersion", "2");
    main.putValue("Bundle-SymbolicName", name);
    main.putValue("Bundle-Version", version);
    headers.forEach(main::putValue);
    Path path = dir.resolve(file);
    try (OutputStream out = Files.newOutputStream(path); JarOutputStream jar = new JarOutputStream(out, manifest)) {
      if (withClass) {
        jar.putNextEntry(new ZipEntry("io/outpost/demo/api/version.txt"));
        jar.write(version.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        jar.closeEntry();
      }
    }
    return path;
  }

  private static ArtifactManifest manifest(String name, String version, Path jar) throws Exception {
    return new ArtifactManifest(ArtifactManifest.BUNDLE, name, version, Files.size(jar), ChunkAssembler.sha256(jar),
        "ops", "AAAA");
  }

  private Bundle bundle(String name) {
    for (Bundle bundle : context.getBundles()) {
      if (name.equals(bundle.getSymbolicName())) {
        return bundle;
      }
    }
    throw new AssertionError("no bundle " + name);
  }

  private String resource(String name) throws Exception {
    try (var in = bundle(name).getEntry("io/outpost/demo/api/version.txt").openStream()) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void aNewRevisionIsInstalledAndItsDependantsAreActiveAgain() throws Exception {
    Path next = jar("demo-1.1.0.jar", "io.outpost.demo", "1.1.0",
        Map.of("Export-Package", "io.outpost.demo.api;version=1.1.0"), true);

    io.outpost.rollout.InstallOutcome outcome = installer.install(manifest("io.outpost.demo", "1.1.0", next), next, GATE);

    assertThat(outcome.result()).as(outcome.reason()).isEqualTo("installed");
    assertThat(outcome.previousVersion()).isEqualTo("1.0.0");
    assertThat(bundle("io.outpost.demo").getVersion().toString()).isEqualTo("1.1.0");
    assertThat(bundle("io.outpost.demo").getState()).isEqualTo(Bundle.ACTIVE);
    assertThat(bundle("io.outpost.user").getState()).isEqualTo(Bundle.ACTIVE);
    assertThat(resource("io.outpost.demo")).isEqualTo("1.1.0");
    assertThat(dir.resolve("rollback/io.outpost.demo.jar")).as("the replaced revision, kept").exists();

    io.outpost.rollout.InstallOutcome again = installer.install(manifest("io.outpost.demo", "1.1.0", next), next, GATE);
    assertThat(again.result()).as("delivered twice (a reconnect)").isEqualTo("unchanged");
  }

  @Test
  void aRevisionThatBreaksTheNodeIsRolledBackToTheRunningOne() throws Exception {
    // 2.0.0 exports the package at 2.0: the dependant's import [1,2) no longer resolves, so it stops.
    Path breaking = jar("demo-2.0.0.jar", "io.outpost.demo", "2.0.0",
        Map.of("Export-Package", "io.outpost.demo.api;version=2.0.0"), true);

    io.outpost.rollout.InstallOutcome outcome = installer.install(manifest("io.outpost.demo", "2.0.0", breaking), breaking,
        GATE);

    assertThat(outcome.result()).isEqualTo("rolled_back");
    assertThat(outcome.reason()).contains("io.outpost.user");
    assertThat(bundle("io.outpost.demo").getVersion().toString()).isEqualTo("1.0.0");
    assertThat(resource("io.outpost.demo")).isEqualTo("1.0.0");
    assertThat(bundle("io.outpost.demo").getState()).isEqualTo(Bundle.ACTIVE);
    assertThat(bundle("io.outpost.user").getState()).isEqualTo(Bundle.ACTIVE);
  }

  @Test
  void aRevisionThatDoesNotResolveIsRolledBack() throws Exception {
    Path unresolvable = jar("demo-1.2.0.jar", "io.outpost.demo", "1.2.0",
        Map.of("Export-Package", "io.outpost.demo.api;version=1.2.0", "Import-Package", "io.outpost.nowhere"), true);

    io.outpost.rollout.InstallOutcome outcome = installer.install(manifest("io.outpost.demo", "1.2.0", unresolvable),
        unresolvable, GATE);

    assertThat(outcome.result()).isEqualTo("rolled_back");
    assertThat(outcome.reason()).contains("io.outpost.nowhere");
    assertThat(bundle("io.outpost.demo").getVersion().toString()).isEqualTo("1.0.0");
    assertThat(bundle("io.outpost.demo").getState()).isEqualTo(Bundle.ACTIVE);
    assertThat(bundle("io.outpost.user").getState()).isEqualTo(Bundle.ACTIVE);
  }

  @Test
  void whatTheManifestDoesNotNameOrARolloutMustNotTouchIsRefusedAndNothingChanges() throws Exception {
    Path other = jar("other.jar", "io.outpost.other", "1.1.0", Map.of(), false);
    assertThat(installer.install(manifest("io.outpost.demo", "1.1.0", other), other, GATE).reason())
        .contains("the jar is bundle io.outpost.other");
    Path wrongVersion = jar("demo-1.3.0.jar", "io.outpost.demo", "1.3.0", Map.of(), true);
    assertThat(installer.install(manifest("io.outpost.demo", "1.4.0", wrongVersion), wrongVersion, GATE).reason())
        .contains("the jar is version 1.3.0");
    Path foreign = jar("felix.jar", "org.apache.felix.scr", "9.0.0", Map.of(), false);
    assertThat(installer.install(manifest("org.apache.felix.scr", "9.0.0", foreign), foreign, GATE).result())
        .isEqualTo("refused");
    Path absent = jar("absent.jar", "io.outpost.absent", "1.0.0", Map.of(), false);
    assertThat(installer.install(manifest("io.outpost.absent", "1.0.0", absent), absent, GATE).reason())
        .contains("not installed");
    Path garbage = Files.writeString(dir.resolve("garbage.jar"), "not a jar");
    assertThat(installer.install(manifest("io.outpost.demo", "1.1.0", garbage), garbage, GATE).result())
        .isEqualTo("refused");

    assertThat(bundle("io.outpost.demo").getVersion().toString()).isEqualTo("1.0.0");
    assertThat(bundle("io.outpost.demo").getState()).isEqualTo(Bundle.ACTIVE);
    assertThat(dir.resolve("rollback")).doesNotExist();
  }
}
