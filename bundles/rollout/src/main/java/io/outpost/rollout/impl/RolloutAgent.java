package io.outpost.rollout.impl;

import io.outpost.metrics.MetricSource;
import io.outpost.protocol.ArtifactChunk;
import io.outpost.protocol.GatewayTargetV1;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures;
import io.outpost.rollout.GatewayArtifacts;
import io.outpost.rollout.InstallOutcome;
import io.outpost.store.DesiredState;
import io.outpost.store.StoreListener;
import io.outpost.sync.ArtifactChannel;
import io.outpost.sync.ArtifactChannel.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's side of a gateway rollout. Its target is in its own Node as the cloud last sent it (so a node cut off
 * after receiving it goes on alone): the agent checks the manifest's signature against the keys the node trusts
 * before a byte is fetched, pulls the missing chunks over the link ({@link ArtifactChannel}) in windows of
 * {@value #WINDOW} chunks of {@value #CHUNK} bytes into the crash-safe {@link ChunkAssembler} (so a transfer resumes
 * after a restart or days cut off), and installs the verified artifact through {@link GatewayArtifacts} (health gate,
 * automatic rollback). The outcome is recorded ({@link RolloutJournal}) before it is reported, and reported again
 * whenever a bridge is heard: a target of a rollout is installed, refused or rolled back once, not again after a
 * restart. A restart during an installation is finished, not repeated: the health gate on what runs, and a rollback
 * to the revision saved before the update if it does not hold ({@link GatewayArtifacts#resume}). A signature the node
 * does not trust is reported, not recorded, and looked at again (a key may be added). Bytes whose digest is not the
 * signed one are fetched once more, then refused. A received copy is deleted once installed, a partial one when the
 * target changes.
 *
 * <p>Chunks that do not come (a lost connection, a bridge still fetching the artifact) are asked for again after a
 * jittered back-off of 15 s, doubling while nothing arrives, up to 5 min. Everything runs on the agent's own thread
 * ({@code outpost-rollout}).
 */
@Component(service = {StoreListener.class, MetricSource.class}, immediate = true,
    configurationPid = {RolloutAgent.PID, "io.outpost.node"}, configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class RolloutAgent implements StoreListener, MetricSource {
  private static final Logger LOG = LoggerFactory.getLogger(RolloutAgent.class);
  static final String PID = "io.outpost.rollout";
  static final int CHUNK = 64 * 1024;
  static final int WINDOW = 16;
  private static final Duration FIRST_WAIT = Duration.ofSeconds(15);
  private static final Duration LAST_WAIT = Duration.ofMinutes(5);

  private final String node;
  private final DesiredState desired;
  private final ArtifactChannel channel;
  private final GatewayArtifacts artifacts;
  private final ChunkAssembler assembler;
  private final RolloutJournal journal;
  private final ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, runnable -> {
    Thread t = new Thread(runnable, "outpost-rollout");
    t.setDaemon(true);
    return t;
  });
  /** A transfer whose whole-file digest did not match this many times is refused (not fetched again forever). */
  static final int DIGEST_MISMATCHES = 2;
  private final AutoCloseable listening;
  private final AtomicLong chunksReceived = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private final Map<String, AtomicLong> chunksRefused = new java.util.concurrent.ConcurrentHashMap<>();

  /** Agent thread only. */
  private ChunkAssembler.Transfer transfer;
  private String transferSha;
  private final Set<Integer> outstanding = new HashSet<>();
  private ScheduledFuture<?> retry;
  private int waits;
  private int reportedTenth = -1;
  /** Whole-file digest mismatches of {@link #mismatchSha}'s transfers. */
  private int mismatches;
  private String mismatchSha;
  /** The target whose signature this node does not accept now (checked again when keys may have changed). */
  private String untrustedSha;

  @Activate
  public RolloutAgent(@Reference(name = "desiredState") DesiredState desired,
      @Reference(name = "channel") ArtifactChannel channel, @Reference(name = "artifacts") GatewayArtifacts artifacts,
      AgentConfig config) {
    this(config.node_name(), desired, channel, artifacts,
        Path.of(System.getProperty("karaf.data", "data"), "outpost", "artifacts"));
  }

  RolloutAgent(String node, DesiredState desired, ArtifactChannel channel, GatewayArtifacts artifacts, Path dir) {
    this.node = node;
    this.desired = desired;
    this.channel = channel;
    this.artifacts = artifacts;
    this.assembler = new ChunkAssembler(dir.resolve("incoming"));
    this.journal = new RolloutJournal(dir.resolve("rollout.properties"));
    thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    // What the node last did is reported once a bridge is heard (the channel keeps it and repeats it on reconnect).
    journal.last().ifPresent(channel::report);
    this.listening = channel.listen(new ArtifactChannel.Listener() {
      @Override
      public void chunk(ArtifactChunk chunk) {
        run(() -> received(chunk));
      }

      @Override
      public void linkUp() {
        run(() -> {
          outstanding.clear(); // what was asked on the old connection is asked again
          reconcile();
        });
      }
    });
    run(this::reconcile);
  }

  /** Hands work to the agent's thread; after deactivation there is none and the work is dropped. */
  private void run(Runnable work) {
    try {
      thread.execute(work);
    } catch (RejectedExecutionException e) {
      LOG.debug("Rollout agent stopped: {} dropped", work);
    }
  }

  /**
   * A changed {@code io.outpost.rollout} (trusted keys, health gate) or {@code io.outpost.node} configuration: the
   * agent stays (an installation under way goes on) and looks at its target again — a signature refused before may be
   * trusted now.
   */
  @Modified
  void modified(AgentConfig config) {
    if (!config.node_name().equals(node)) {
      LOG.warn("node.name changed to {}: the rollout agent follows it after a restart", config.node_name());
    }
    run(() -> {
      untrustedSha = null;
      reconcile();
    });
  }

  @Override
  public void objectsChanged(Set<String> keys) {
    if (keys.contains(ObjectRef.key("Node", null, node))) {
      run(this::reconcile);
    }
  }

  /** Brings the node to its target, one step at a time. Agent thread. */
  private void reconcile() {
    try {
      step();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // stopping: the journal says where the node is, the next start goes on
    } catch (IOException | RuntimeException e) {
      LOG.warn("Gateway rollout step failed (retried): {}", e.toString());
      later();
    }
  }

  private void step() throws IOException, InterruptedException {
    GatewayTargetV1 target = node.isEmpty() ? null
        : desired.node(node).map(NodeV1::gatewayTarget).orElse(null);
    if (target == null) {
      discardTransfer();
      return;
    }
    ArtifactManifest manifest = manifest(target);
    Optional<Progress> last = journal.last().filter(p -> p.sha256().equals(target.sha256()));
    if (last.isPresent() && target.rollout().equals(last.get().rollout())
        && io.outpost.protocol.RolloutReport.FINAL.contains(last.get().state())) {
      return; // done with this target of this rollout; reported on every reconnect
    }
    if (last.isPresent() && ("installed".equals(last.get().state()) || "unchanged".equals(last.get().state()))) {
      // Another rollout of an artifact this node installed already: nothing to fetch.
      finish(target, new InstallOutcome("unchanged", target.name(), target.version(), "installed before, by "
          + last.get().rollout()));
      return;
    }
    if (last.isPresent() && "installing".equals(last.get().state())) {
      // A restart interrupted the installation: the health gate on what runs now, and a rollback if it fails —
      // never a second update over the revision saved before the first one.
      channel.report(progress(target, "installing", null, 0, 0));
      Optional<InstallOutcome> resumed = artifacts.resume(manifest);
      if (resumed.isPresent()) {
        finish(target, resumed.get());
        return;
      }
    }
    Optional<String> refusal = artifacts.refusal(manifest);
    if (refusal.isPresent()) {
      // Reported, not recorded: a key added to trusted.keys later makes the same target acceptable.
      if (!target.sha256().equals(untrustedSha)) {
        untrustedSha = target.sha256();
        discardTransfer();
        channel.report(progress(target, "refused", refusal.get(), 0, 0));
        LOG.warn("Gateway target {} {} (rollout {}) refused: {}", target.name(), target.version(), target.rollout(),
            refusal.get());
      }
      later(); // looked at again, in case the keys change
      return;
    }
    untrustedSha = null;
    Optional<Path> stored = assembler.stored(manifest);
    if (stored.isPresent()) {
      install(target, manifest, stored.get());
      return;
    }
    if (transfer == null || !target.sha256().equals(transferSha)) {
      discardTransfer(); // another target's partial transfer: its files go
      transfer = assembler.open(manifest, CHUNK);
      transferSha = target.sha256();
      LOG.info("Gateway target {} {} (rollout {}): fetching {} bytes in {} chunks ({} stored already)",
          target.name(), target.version(), target.rollout(), target.size(), transfer.chunkCount(),
          transfer.storedCount());
    }
    if (transfer.complete()) {
      Path file;
      try {
        file = transfer.finish();
      } catch (ArtifactSignatures.Refused e) {
        // The bytes are not the signed ones (the whole-file digest): discarded; fetched again once (a corruption in
        // transit), refused the second time (the bridge serves other bytes than the signed ones).
        count(e.reason());
        transfer = null;
        if (!target.sha256().equals(mismatchSha)) {
          mismatchSha = target.sha256();
          mismatches = 0;
        }
        if (++mismatches >= DIGEST_MISMATCHES) {
          finish(target, new InstallOutcome("refused", target.name(), null, e.getMessage()));
        } else {
          LOG.warn("Gateway target {} {}: {}; fetching it again", target.name(), target.version(), e.getMessage());
          later();
        }
        return;
      }
      install(target, manifest, file);
      return;
    }
    if (outstanding.isEmpty()) {
      ask(target);
    }
  }

  private void ask(GatewayTargetV1 target) {
    List<Integer> missing = transfer.missing(WINDOW);
    int received = transfer.storedCount();
    int tenth = received * 10 / transfer.chunkCount();
    if (tenth != reportedTenth) {
      reportedTenth = tenth;
      channel.report(progress(target, "transferring", null, received, transfer.chunkCount()));
    }
    if (channel.request(target.sha256(), CHUNK, missing)) {
      requests.incrementAndGet();
      outstanding.addAll(missing);
    }
    later(); // what has not come by then is asked again
  }

  /** A chunk, or the bridge's reason for not sending one. Agent thread. */
  private void received(ArtifactChunk chunk) {
    if (transfer == null || !chunk.sha256().equals(transferSha) || chunk.chunkSize() != CHUNK) {
      return; // an answer to a request of an earlier target or transfer
    }
    switch (chunk.status()) {
      case OK -> {
        try {
          if (transfer.accept(chunk.index(), chunk.data())) {
            chunksReceived.incrementAndGet();
          }
          waits = 0;
        } catch (ArtifactSignatures.Refused e) {
          count(e.reason());
          LOG.warn("Chunk {} of gateway target {} refused: {}", chunk.index(), transferSha, e.getMessage());
        } catch (IOException e) {
          LOG.warn("Chunk {} of gateway target {} not stored: {}", chunk.index(), transferSha, e.getMessage());
        }
        outstanding.remove(chunk.index());
        if (outstanding.isEmpty()) {
          reconcile();
        }
      }
      case UNAVAILABLE, NOT_ASSIGNED -> {
        LOG.info("The bridge has no chunks of gateway target {} for this node yet ({}); asking again later",
            transferSha, chunk.status());
        outstanding.clear();
        later();
      }
      default -> throw new IllegalStateException("unknown chunk status " + chunk.status());
    }
  }

  private void install(GatewayTargetV1 target, ArtifactManifest manifest, Path file) throws IOException {
    cancelRetry();
    channel.report(progress(target, "installing", null, 0, 0));
    journal.record(progress(target, "installing", null, 0, 0));
    InstallOutcome outcome;
    try {
      outcome = artifacts.install(manifest, file);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return; // stopping: the journal says installing, and the next start checks the target again
    }
    finish(target, outcome);
  }

  private void finish(GatewayTargetV1 target, InstallOutcome outcome) throws IOException {
    Progress progress = progress(target, outcome.result(), outcome.reason(), 0, 0);
    journal.record(progress);
    channel.report(progress);
    LOG.info("Gateway target {} {} (rollout {}): {}{}", target.name(), target.version(), target.rollout(),
        outcome.result(), outcome.reason() == null ? "" : " — " + outcome.reason());
    discardTransfer();
    // The received copy is not needed any more: the framework keeps the installed revision, the installer the one
    // before it.
    Optional<Path> received = assembler.stored(manifest(target));
    if (received.isPresent()) {
      java.nio.file.Files.deleteIfExists(received.get());
    }
  }

  private void count(String reason) {
    chunksRefused.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
  }

  /** The signed manifest the target carries. */
  private static ArtifactManifest manifest(GatewayTargetV1 target) {
    return new ArtifactManifest(target.type(), target.name(), target.version(), target.size(), target.sha256(),
        target.keyId(), target.signature());
  }

  private static Progress progress(GatewayTargetV1 target, String state, String reason, int received, int chunks) {
    String shown = reason == null || reason.length() <= 1024 ? reason : reason.substring(0, 1023) + "…";
    return new Progress(target.rollout(), target.name(), target.version(), target.sha256(), state, shown, received,
        chunks);
  }

  /**
   * Looks again after a jittered back-off: 15 s, doubling each time it expires with nothing received in between (a
   * chunk resets it), up to 5 min.
   */
  private void later() {
    cancelRetry();
    long ceiling = Math.min(LAST_WAIT.toMillis(), FIRST_WAIT.toMillis() << Math.min(waits, 8));
    long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    try {
      retry = thread.schedule(() -> {
        waits++;
        outstanding.clear();
        reconcile();
      }, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("Rollout agent stopped: no retry scheduled");
    }
  }

  private void cancelRetry() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
  }

  /** Forgets the transfer under way, deleting what it received. */
  private void discardTransfer() throws IOException {
    cancelRetry();
    if (transfer != null) {
      transfer.discard();
    }
    transfer = null;
    transferSha = null;
    outstanding.clear();
    waits = 0;
    reportedTenth = -1;
  }

  @Override
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("outpost_edge_rollout_chunks_received_total", (double) chunksReceived.get());
    metrics.put("outpost_edge_rollout_chunk_requests_total", (double) requests.get());
    chunksRefused.forEach((reason, count) -> metrics.put(io.outpost.protocol.MetricSeries.of(
        "outpost_edge_rollout_chunks_refused_total", "reason", reason), (double) count.get()));
    return metrics;
  }

  @Deactivate
  void deactivate() {
    try {
      listening.close();
    } catch (Exception e) {
      LOG.debug("Closing the chunk listener: {}", e.toString());
    }
    run(this::cancelRetry);
    // An installation in progress completes (its health gate and rollback included); delayed retries are dropped.
    thread.shutdown();
  }
}
