package io.outpost.rollout.impl;

import io.outpost.metrics.MetricSource;
import io.outpost.protocol.MetricSeries;
import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures;
import io.outpost.rollout.GatewayArtifacts;
import io.outpost.rollout.InstallOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's {@link GatewayArtifacts}: checks the manifest's signature against the configured trusted keys and the
 * artifact's size and SHA-256 against the manifest, keeps the verified bytes under {@code data/outpost/artifacts}
 * ({@code <sha256>.jar}) and hands them to the {@link GatewayInstaller}; the replaced revisions are kept in
 * {@code data/outpost/artifacts/rollback}. Every refusal and outcome is logged with its reason.
 */
// REQUIRE: activated with etc/io.outpost.rollout.cfg's keys, never first with none (which would refuse a target).
@Component(service = {GatewayArtifacts.class, MetricSource.class}, immediate = true,
    configurationPid = GatewayArtifactsComponent.PID,
    configurationPolicy = org.osgi.service.component.annotations.ConfigurationPolicy.REQUIRE)
@Designate(ocd = RolloutConfig.class)
public final class GatewayArtifactsComponent implements GatewayArtifacts, MetricSource {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayArtifactsComponent.class);
  static final String PID = "io.outpost.rollout";

  private final Path dir;
  private final GatewayInstaller installer;
  private volatile ArtifactSignatures trusted;
  private volatile Duration healthTimeout;
  /** Installations by result (installed, unchanged, rolled_back, refused, failed). */
  private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();

  @Activate
  public GatewayArtifactsComponent(BundleContext context, RolloutConfig config) {
    this.dir = Path.of(System.getProperty("karaf.data", "data"), "outpost", "artifacts");
    this.installer = new GatewayInstaller(context, dir.resolve("rollback"));
    configure(config);
  }

  @Modified
  void configure(RolloutConfig config) {
    try {
      trusted = ArtifactSignatures.trusting(config.trusted_keys());
      healthTimeout = Duration.ofSeconds(Math.max(5, config.health_timeout_seconds()));
      LOG.info("Gateway artifacts: {} trusted key(s) {}, health gate {} s", trusted.keyIds().size(),
          trusted.keyIds(), healthTimeout.toSeconds());
    } catch (IllegalArgumentException e) {
      trusted = ArtifactSignatures.trusting("");
      LOG.error("trusted.keys in etc/{}.cfg refused, no artifact is installed until it is fixed: {}", PID,
          e.getMessage());
    }
  }

  @Override
  public synchronized InstallOutcome install(ArtifactManifest manifest, Path artifact) throws InterruptedException {
    InstallOutcome outcome;
    try {
      trusted.verify(manifest);
      long size = Files.size(artifact);
      String digest = ChunkAssembler.sha256(artifact);
      if (size != manifest.size() || !digest.equals(manifest.sha256())) {
        outcome = new InstallOutcome("refused", manifest.name(), null, "the artifact's bytes (" + size
            + " bytes, SHA-256 " + digest + ") are not the signed manifest's (" + manifest.size() + " bytes, "
            + manifest.sha256() + "): tampered or corrupted");
      } else {
        Files.createDirectories(dir);
        Path kept = dir.resolve(manifest.sha256() + ".jar");
        Files.copy(artifact, kept, StandardCopyOption.REPLACE_EXISTING);
        try {
          outcome = installer.install(manifest, kept, healthTimeout);
        } finally {
          Files.deleteIfExists(kept); // installed from it, or refused: the framework and the rollback keep their own
        }
      }
    } catch (ArtifactSignatures.Refused e) {
      outcome = new InstallOutcome("refused", manifest.name(), null, e.getMessage());
    } catch (IOException e) {
      outcome = new InstallOutcome("refused", manifest.name(), null, "cannot read the artifact: " + e.getMessage());
    }
    outcomes.computeIfAbsent(outcome.result(), r -> new AtomicLong()).incrementAndGet();
    if (outcome.installed()) {
      LOG.info("Artifact {} {}: {}", manifest.name(), manifest.version(), outcome.result());
    } else {
      LOG.warn("Artifact {} {}: {} — {}", manifest.name(), manifest.version(), outcome.result(), outcome.reason());
    }
    return outcome;
  }

  @Override
  public synchronized java.util.Optional<InstallOutcome> resume(ArtifactManifest manifest)
      throws InterruptedException {
    java.util.Optional<InstallOutcome> outcome;
    try {
      outcome = installer.resume(manifest, healthTimeout);
    } catch (IOException e) {
      outcome = java.util.Optional.of(new InstallOutcome("failed", manifest.name(), null, "cannot resume the"
          + " interrupted installation: " + e.getMessage()));
    }
    outcome.ifPresent(o -> {
      outcomes.computeIfAbsent(o.result(), r -> new AtomicLong()).incrementAndGet();
      LOG.info("Artifact {} {} (installation interrupted by a restart): {}{}", manifest.name(), manifest.version(),
          o.result(), o.reason() == null ? "" : " — " + o.reason());
    });
    return outcome;
  }

  @Override
  public java.util.Optional<String> refusal(ArtifactManifest manifest) {
    if (!ArtifactManifest.BUNDLE.equals(manifest.type())) {
      return java.util.Optional.of("artifact type " + manifest.type() + " is not installed by this node release"
          + " (bundles only)");
    }
    try {
      trusted.verify(manifest);
      return java.util.Optional.empty();
    } catch (ArtifactSignatures.Refused | IllegalArgumentException e) {
      return java.util.Optional.of(e.getMessage());
    }
  }

  @Override
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("outpost_edge_rollout_trusted_keys", (double) trusted.keyIds().size());
    outcomes.forEach((result, count) -> metrics.put(
        MetricSeries.of("outpost_edge_rollout_installs_total", "result", result), (double) count.get()));
    return metrics;
  }
}
