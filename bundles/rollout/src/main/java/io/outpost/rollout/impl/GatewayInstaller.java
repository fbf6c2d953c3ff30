package io.outpost.rollout.impl;

import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.InstallOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.FrameworkWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs a verified artifact of type {@value ArtifactManifest#BUNDLE} as a new revision of the Outpost bundle of the
 * same symbolic name, as an operator's {@code bundle:update -r} does — update, refresh of its dependants, start — so
 * that no container is touched (the engine runs them; the bundles only manage them). Before the update, the running
 * revision is saved as a jar of its own entries; afterwards the health gate must hold within the timeout: the bundle
 * runs the manifest's version and every Outpost bundle that was active is active again. If it does not (the new
 * revision does not resolve, fails to start, or stops another bundle), the saved revision is put back the same way and
 * the outcome says why.
 *
 * <p>Only bundles whose symbolic name starts with {@code io.outpost.}, already installed, and not the installer's own
 * bundle, are updated: a rollout changes Outpost, not the platform under it, and never adds code the node did not
 * run before. The jar's own {@code Bundle-SymbolicName} and {@code Bundle-Version} must be the signed manifest's.
 */
public final class GatewayInstaller {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayInstaller.class);
  static final String PREFIX = "io.outpost.";

  private final BundleContext context;
  private final Path rollbackDir;

  /** {@code rollbackDir}: where the replaced revisions are kept (one jar per bundle, the last one replaced). */
  public GatewayInstaller(BundleContext context, Path rollbackDir) {
    this.context = context;
    this.rollbackDir = rollbackDir;
  }

  /** Installs {@code artifact} (its signature and digest checked by the caller against {@code manifest}). */
  public InstallOutcome install(ArtifactManifest manifest, Path artifact, Duration healthTimeout)
      throws IOException, InterruptedException {
    String name = manifest.name();
    if (!ArtifactManifest.BUNDLE.equals(manifest.type())) {
      return new InstallOutcome("refused", name, null, "artifact type " + manifest.type() + " is not installed by this"
          + " node release (bundles only)");
    }
    String why = checkJar(manifest, artifact);
    if (why != null) {
      return new InstallOutcome("refused", name, null, why);
    }
    if (!name.startsWith(PREFIX) || name.equals(context.getBundle().getSymbolicName())) {
      return new InstallOutcome("refused", name, null, "only installed Outpost bundles (" + PREFIX + "*) other than the"
          + " installer itself are updated by a rollout, not " + name);
    }
    Bundle target = null;
    for (Bundle bundle : context.getBundles()) {
      if (name.equals(bundle.getSymbolicName())) {
        target = bundle;
      }
    }
    if (target == null) {
      return new InstallOutcome("refused", name, null, "bundle " + name + " is not installed on this node");
    }
    if (installerDependsOn(target)) {
      // Updating it would refresh the installer's own bundle in the middle of the installation (and of its health
      // gate and rollback): such bundles are upgraded with the distribution (docs/operations.md, "Upgrading").
      return new InstallOutcome("refused", name, null, "the rollout installer itself is wired to " + name
          + ": updating it would restart the installer mid-installation; upgrade it with the distribution");
    }
    String previous = target.getVersion().toString();
    if (target.getVersion().equals(Version.parseVersion(manifest.version())) && target.getState() == Bundle.ACTIVE) {
      return new InstallOutcome("unchanged", name, previous, "version " + previous + " already active");
    }
    Map<String, Boolean> activeBefore = outpostBundles();
    Path saved = save(target);
    LOG.info("Updating {} from {} to {} (the running revision is kept in {})", name, previous, manifest.version(),
        saved);
    String failure;
    try (InputStream in = Files.newInputStream(artifact)) {
      failure = apply(target, in, Version.parseVersion(manifest.version()), activeBefore, healthTimeout);
    }
    if (failure == null) {
      LOG.info("Bundle {} {} installed; every Outpost bundle that was active is active", name, manifest.version());
      return new InstallOutcome("installed", name, previous, null);
    }
    LOG.warn("Bundle {} {} failed its health gate ({}); rolling back to {}", name, manifest.version(), failure,
        previous);
    String rollback;
    try (InputStream in = Files.newInputStream(saved)) {
      rollback = apply(target, in, Version.parseVersion(previous), activeBefore, healthTimeout);
    }
    if (rollback != null) {
      LOG.error("Rollback of {} to {} failed too: {}", name, previous, rollback);
      return new InstallOutcome("failed", name, previous, failure + "; the rollback failed too: " + rollback);
    }
    return new InstallOutcome("rolled_back", name, previous, failure);
  }

  /** Whether the installer's own bundle imports from {@code bundle} (directly or through what it imports). */
  private boolean installerDependsOn(Bundle bundle) {
    java.util.Set<Bundle> seen = new java.util.HashSet<>();
    java.util.Deque<Bundle> todo = new java.util.ArrayDeque<>(List.of(context.getBundle()));
    while (!todo.isEmpty()) {
      Bundle next = todo.pop();
      if (!seen.add(next)) {
        continue;
      }
      org.osgi.framework.wiring.BundleWiring wiring = next.adapt(org.osgi.framework.wiring.BundleWiring.class);
      if (wiring == null) {
        continue;
      }
      for (org.osgi.framework.wiring.BundleWire wire : wiring.getRequiredWires(null)) {
        Bundle provider = wire.getProvider().getBundle();
        if (provider.equals(bundle)) {
          return true;
        }
        if (provider.getBundleId() != 0 && provider.getSymbolicName() != null
            && provider.getSymbolicName().startsWith(PREFIX)) {
          todo.push(provider);
        }
      }
    }
    return false;
  }

  /** Why the jar is not the artifact the manifest names, or null. */
  private static String checkJar(ArtifactManifest manifest, Path artifact) {
    try (JarFile jar = new JarFile(artifact.toFile())) {
      Manifest mf = jar.getManifest();
      Attributes main = mf == null ? new Attributes() : mf.getMainAttributes();
      String symbolicName = main.getValue("Bundle-SymbolicName");
      String version = main.getValue("Bundle-Version");
      String bsn = symbolicName == null ? null : symbolicName.split(";", 2)[0].trim();
      if (!manifest.name().equals(bsn)) {
        return "the jar is bundle " + bsn + ", the signed manifest names " + manifest.name();
      }
      if (version == null || !Version.parseVersion(version).equals(Version.parseVersion(manifest.version()))) {
        return "the jar is version " + version + ", the signed manifest says " + manifest.version();
      }
      return null;
    } catch (IOException | IllegalArgumentException e) {
      return "not a bundle jar: " + e.getMessage();
    }
  }

  /** The Outpost bundles and whether each is active now. */
  private Map<String, Boolean> outpostBundles() {
    Map<String, Boolean> states = new LinkedHashMap<>();
    for (Bundle bundle : context.getBundles()) {
      if (bundle.getSymbolicName() != null && bundle.getSymbolicName().startsWith(PREFIX)) {
        states.put(bundle.getSymbolicName(), bundle.getState() == Bundle.ACTIVE);
      }
    }
    return states;
  }

  /**
   * Updates {@code target} from {@code content}, refreshes it and its dependants, starts it, and waits for the health
   * gate; returns why it does not hold, or null.
   */
  private String apply(Bundle target, InputStream content, Version expected, Map<String, Boolean> activeBefore,
      Duration timeout) throws InterruptedException {
    LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    BundleListener listener = events::add;
    context.addBundleListener(listener);
    try {
      target.update(content);
      refresh(target, timeout);
      target.start();
      // A dependant that could not resolve during the refresh stays installed: started again here, so that a
      // rollback brings it back too, and its reason is part of the outcome.
      return awaitHealthy(target, expected, activeBefore, startWhatWasActive(activeBefore), events, timeout);
    } catch (BundleException | IllegalStateException e) {
      return "bundle " + target.getSymbolicName() + ": " + e.getMessage();
    } finally {
      context.removeBundleListener(listener);
    }
  }

  /**
   * Waits until the health gate holds — {@code target} runs {@code expected} and every Outpost bundle that was active
   * is active — re-checking on every bundle event; returns why it does not hold at the deadline, or null.
   */
  private String awaitHealthy(Bundle target, Version expected, Map<String, Boolean> activeBefore,
      Map<String, String> errors, LinkedBlockingQueue<Object> events, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String unhealthy;
    while ((unhealthy = unhealthy(target, expected, activeBefore, errors)) != null) {
      long left = deadline - System.nanoTime();
      if (!errors.isEmpty()) {
        return unhealthy; // a bundle that would not start does not start by waiting
      }
      if (left <= 0) {
        return unhealthy + " after " + timeout.toSeconds() + " s";
      }
      events.poll(left, TimeUnit.NANOSECONDS); // re-checked on every bundle event, and at the deadline
    }
    return null;
  }

  /**
   * Finishes an installation of {@code manifest} that a restart interrupted (the node recorded "installing" and then
   * stopped): the saved revision stays as it was saved, before the update. If the bundle already runs the manifest's
   * version, the health gate is checked on what runs now (every Outpost bundle active) and, if it does not hold, the
   * saved revision is put back; if it does not, the update never took effect and nothing is decided here (empty:
   * install as usual).
   */
  public java.util.Optional<InstallOutcome> resume(ArtifactManifest manifest, Duration healthTimeout)
      throws IOException, InterruptedException {
    String name = manifest.name();
    Bundle target = null;
    for (Bundle bundle : context.getBundles()) {
      if (name.equals(bundle.getSymbolicName())) {
        target = bundle;
      }
    }
    Version expected = Version.parseVersion(manifest.version());
    if (target == null || !target.getVersion().equals(expected)) {
      return java.util.Optional.empty();
    }
    Map<String, Boolean> everyOutpostBundle = new LinkedHashMap<>();
    for (Bundle bundle : context.getBundles()) {
      String bsn = bundle.getSymbolicName();
      if (bsn != null && bsn.startsWith(PREFIX) && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
        everyOutpostBundle.put(bsn, true);
      }
    }
    Path saved = rollbackDir.resolve(name + ".jar");
    String previous = savedVersion(saved);
    LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    BundleListener listener = events::add;
    context.addBundleListener(listener);
    String failure;
    try {
      if (target.getState() != Bundle.ACTIVE) {
        try {
          target.start();
        } catch (BundleException | IllegalStateException e) {
          LOG.warn("Bundle {} {} does not start after the restart: {}", name, expected, e.getMessage());
        }
      }
      failure = awaitHealthy(target, expected, everyOutpostBundle, startWhatWasActive(everyOutpostBundle), events,
          healthTimeout);
    } finally {
      context.removeBundleListener(listener);
    }
    if (failure == null) {
      LOG.info("Bundle {} {} runs healthy after the restart that interrupted its installation", name, expected);
      return java.util.Optional.of(new InstallOutcome("installed", name, previous, null));
    }
    failure = "after a restart during the installation: " + failure;
    if (previous == null) {
      return java.util.Optional.of(new InstallOutcome("failed", name, null, failure + "; no saved revision to roll"
          + " back to"));
    }
    LOG.warn("Bundle {} {} failed its health gate ({}); rolling back to {}", name, expected, failure, previous);
    String rollback;
    try (InputStream in = Files.newInputStream(saved)) {
      rollback = apply(target, in, Version.parseVersion(previous), everyOutpostBundle, healthTimeout);
    }
    if (rollback != null) {
      return java.util.Optional.of(new InstallOutcome("failed", name, previous, failure + "; the rollback failed too: "
          + rollback));
    }
    return java.util.Optional.of(new InstallOutcome("rolled_back", name, previous, failure));
  }

  /** The Bundle-Version of a saved revision, or null if there is none. */
  private static String savedVersion(Path saved) {
    if (!Files.isRegularFile(saved)) {
      return null;
    }
    try (JarFile jar = new JarFile(saved.toFile())) {
      Manifest mf = jar.getManifest();
      return mf == null ? null : mf.getMainAttributes().getValue("Bundle-Version");
    } catch (IOException e) {
      return null;
    }
  }

  /** Starts the Outpost bundles that were active and are not; returns why each that would not start did not. */
  private Map<String, String> startWhatWasActive(Map<String, Boolean> activeBefore) {
    Map<String, String> errors = new LinkedHashMap<>();
    for (Bundle bundle : context.getBundles()) {
      String name = bundle.getSymbolicName();
      if (name != null && Boolean.TRUE.equals(activeBefore.get(name)) && bundle.getState() != Bundle.ACTIVE
          && bundle.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
        try {
          bundle.start();
        } catch (BundleException | IllegalStateException e) {
          errors.put(name, e.getMessage());
        }
      }
    }
    return errors;
  }

  private String unhealthy(Bundle target, Version expected, Map<String, Boolean> activeBefore,
      Map<String, String> errors) {
    if (!target.getVersion().equals(expected)) {
      return "bundle " + target.getSymbolicName() + " runs " + target.getVersion() + ", not " + expected;
    }
    List<String> down = new ArrayList<>();
    Map<String, Boolean> now = outpostBundles();
    activeBefore.forEach((name, wasActive) -> {
      if (wasActive && !Boolean.TRUE.equals(now.get(name))) {
        down.add(errors.containsKey(name) ? name + " (" + errors.get(name) + ")" : name);
      }
    });
    return down.isEmpty() ? null : "Outpost bundles not active: " + String.join(", ", down);
  }

  /** Refreshes {@code target} and the bundles wired to it, and waits for the framework to say it is done. */
  private void refresh(Bundle target, Duration timeout) throws InterruptedException, BundleException {
    CountDownLatch done = new CountDownLatch(1);
    String[] error = new String[1];
    context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(target), event -> {
      if (event.getType() == FrameworkEvent.ERROR && event.getThrowable() != null) {
        error[0] = event.getThrowable().getMessage();
      }
      if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
        done.countDown();
      }
    });
    if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new BundleException("the refresh did not finish within " + timeout.toSeconds() + " s");
    }
    if (error[0] != null) {
      LOG.warn("Refresh of {} reported: {}", target.getSymbolicName(), error[0]);
    }
  }

  /** Writes the running revision of {@code bundle} as a jar of its own entries (manifest first), forced to disk. */
  private Path save(Bundle bundle) throws IOException {
    Files.createDirectories(rollbackDir);
    Path file = rollbackDir.resolve(bundle.getSymbolicName() + ".jar");
    Path tmp = rollbackDir.resolve(bundle.getSymbolicName() + ".jar.tmp");
    URL manifestEntry = bundle.getEntry(JarFile.MANIFEST_NAME);
    if (manifestEntry == null) {
      throw new IOException("bundle " + bundle.getSymbolicName() + " has no manifest entry to save");
    }
    try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(out)) {
      jar.putNextEntry(new ZipEntry(JarFile.MANIFEST_NAME));
      try (InputStream in = manifestEntry.openStream()) {
        in.transferTo(jar);
      }
      jar.closeEntry();
      Enumeration<URL> entries = bundle.findEntries("/", "*", true);
      while (entries != null && entries.hasMoreElements()) {
        URL entry = entries.nextElement();
        String path = entry.getPath().startsWith("/") ? entry.getPath().substring(1) : entry.getPath();
        if (path.isEmpty() || path.equals(JarFile.MANIFEST_NAME) || path.endsWith("/")) {
          continue;
        }
        jar.putNextEntry(new ZipEntry(path));
        try (InputStream in = entry.openStream()) {
          in.transferTo(jar);
        }
        jar.closeEntry();
      }
    }
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return file;
  }
}
