package io.outpost.rollout.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.protocol.ArtifactChunk;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.GatewayTargetV1;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.SecretV1;
import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.GatewayArtifacts;
import io.outpost.rollout.InstallOutcome;
import io.outpost.store.DesiredState;
import io.outpost.store.StoredDevice;
import io.outpost.store.StoredPod;
import io.outpost.sync.ArtifactChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's rollout agent against a link that serves the artifact as the bridge does (and can stop serving, as a
 * link that drops), and an installer that records what it was asked: a transfer resumes after a restart asking only
 * for what is missing; a restart during an installation finishes it (resume), never updates again; an untrusted
 * signature is reported but not recorded and looked at again; bytes that are not the signed ones are fetched twice,
 * then refused; the same artifact of a new rollout is not fetched again.
 */
class RolloutAgentTest {
  private static final String NODE = "edge-1";
  @TempDir
  Path dir;
  private final byte[] artifact = new byte[5 * RolloutAgent.CHUNK + 1234];
  private final Link link = new Link();
  private final Installer installer = new Installer();
  private final Store store = new Store();
  private final List<RolloutAgent> agents = new ArrayList<>();

  RolloutAgentTest() {
    new Random(3).nextBytes(artifact);
  }

  @AfterEach
  void stop() {
    agents.forEach(RolloutAgent::deactivate);
  }

  private RolloutAgent agent() {
    RolloutAgent agent = new RolloutAgent(NODE, store, link, installer, dir);
    agents.add(agent);
    return agent;
  }

  private GatewayTargetV1 target(String rollout, byte[] bytes) throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    return new GatewayTargetV1(rollout, "bundle", "io.outpost.console", "0.2.0", bytes.length, sha, "ops", "c2ln");
  }

  private void assign(RolloutAgent agent, GatewayTargetV1 target) {
    store.target.set(target);
    agent.objectsChanged(Set.of(ObjectRef.key("Node", null, NODE)));
  }

  private List<String> states() {
    return link.reports.stream().map(ArtifactChannel.Progress::state).toList();
  }

  @Test
  void aTransferResumesAfterARestartAskingOnlyForWhatIsMissing() throws Exception {
    link.serveAtMost.set(3); // then the link "drops": requests go out, nothing comes back
    RolloutAgent first = agent();
    GatewayTargetV1 target = target("r1", artifact);
    assign(first, target);
    await().until(() -> link.served.get() == 3);
    first.deactivate();

    link.serveAtMost.set(Integer.MAX_VALUE);
    link.asked.clear();
    RolloutAgent second = agent();
    second.objectsChanged(Set.of(ObjectRef.key("Node", null, NODE)));
    await().until(() -> installer.installed.size() == 1);
    assertThat(link.asked).as("only the chunks the first agent did not store").containsExactly(3, 4, 5);
    assertThat(installer.installedBytes.get(0)).isEqualTo(artifact);
    await().until(() -> states().contains("installed"));
    assertThat(Files.list(dir.resolve("incoming")).toList()).as("nothing kept once installed").isEmpty();
  }

  @Test
  void aRestartDuringAnInstallationFinishesItInsteadOfUpdatingAgain() throws Exception {
    GatewayTargetV1 target = target("r1", artifact);
    new RolloutJournal(dir.resolve("rollout.properties")).record(new ArtifactChannel.Progress("r1",
        target.name(), target.version(), target.sha256(), "installing", null, 0, 0));
    installer.resumed.set(Optional.of(new InstallOutcome("rolled_back", target.name(), "0.1.0",
        "after a restart during the installation: Outpost bundles not active: io.outpost.console")));
    store.target.set(target);
    agent();
    await().until(() -> states().contains("rolled_back"));
    assertThat(installer.resumeCalls.get()).isEqualTo(1);
    assertThat(installer.installed).as("no second update over the saved revision").isEmpty();
    assertThat(link.asked).as("nothing fetched").isEmpty();
    assertThat(new RolloutJournal(dir.resolve("rollout.properties")).last()).hasValueSatisfying(p ->
        assertThat(p.state()).isEqualTo("rolled_back"));
  }

  @Test
  void anUntrustedSignatureIsReportedNotRecordedAndLookedAtAgain() throws Exception {
    installer.trusted.set(false);
    RolloutAgent agent = agent();
    GatewayTargetV1 target = target("r1", artifact);
    assign(agent, target);
    await().until(() -> states().contains("refused"));
    assertThat(link.asked).as("not a byte fetched").isEmpty();
    assertThat(new RolloutJournal(dir.resolve("rollout.properties")).last()).isEmpty();

    installer.trusted.set(true); // the operator added the key
    agent.objectsChanged(Set.of(ObjectRef.key("Node", null, NODE)));
    await().until(() -> states().contains("installed"));
    assertThat(installer.installed).hasSize(1);
  }

  @Test
  void bytesThatAreNotTheSignedOnesAreFetchedTwiceThenRefused() throws Exception {
    byte[] signed = artifact.clone();
    signed[10] ^= 1; // the manifest names other bytes than the link serves
    RolloutAgent agent = agent();
    assign(agent, target("r1", signed));
    // The second fetch follows the agent's back-off (7.5–15 s).
    await().atMost(java.time.Duration.ofSeconds(60)).until(() -> states().contains("refused"));
    assertThat(link.served.get()).as("the whole artifact fetched twice").isEqualTo(2 * 6);
    assertThat(installer.installed).isEmpty();
    assertThat(link.reports.get(link.reports.size() - 1).reason()).contains("SHA-256");
    assertThat(agent.metrics()).containsEntry(
        "outpost_edge_rollout_chunks_refused_total{reason=\"digest_mismatch\"}", 2.0);
  }

  @Test
  void theSameArtifactOfANewRolloutIsNotFetchedAgain() throws Exception {
    RolloutAgent agent = agent();
    assign(agent, target("r1", artifact));
    await().until(() -> states().contains("installed"));
    int served = link.served.get();
    assign(agent, target("r2", artifact));
    await().until(() -> link.reports.stream().anyMatch(p -> p.rollout().equals("r2")
        && p.state().equals("unchanged")));
    assertThat(link.served.get()).isEqualTo(served);
    assertThat(installer.installed).hasSize(1);
  }

  /** The link as the bridge serves it: each asked chunk of {@link #artifact}, up to {@link #serveAtMost} in all. */
  private final class Link implements ArtifactChannel {
    final List<Integer> asked = new CopyOnWriteArrayList<>();
    final List<Progress> reports = new CopyOnWriteArrayList<>();
    final AtomicInteger served = new AtomicInteger();
    final AtomicInteger serveAtMost = new AtomicInteger(Integer.MAX_VALUE);
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    @Override
    public boolean request(String sha256, int chunkSize, List<Integer> indices) {
      asked.addAll(indices);
      for (int index : indices) {
        if (served.get() >= serveAtMost.get()) {
          return true;
        }
        served.incrementAndGet();
        int from = index * chunkSize;
        byte[] data = Arrays.copyOfRange(artifact, from, Math.min(artifact.length, from + chunkSize));
        listeners.forEach(l -> l.chunk(ArtifactChunk.ok(sha256, chunkSize, index, data)));
      }
      return true;
    }

    @Override
    public void report(Progress progress) {
      reports.add(progress);
    }

    @Override
    public AutoCloseable listen(Listener listener) {
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }
  }

  /** Records what it is asked to install; trusts the signature while {@link #trusted}. */
  private static final class Installer implements GatewayArtifacts {
    final AtomicReference<Boolean> trusted = new AtomicReference<>(true);
    final List<ArtifactManifest> installed = new CopyOnWriteArrayList<>();
    final List<byte[]> installedBytes = new CopyOnWriteArrayList<>();
    final AtomicReference<Optional<InstallOutcome>> resumed = new AtomicReference<>(Optional.empty());
    final AtomicInteger resumeCalls = new AtomicInteger();

    @Override
    public InstallOutcome install(ArtifactManifest manifest, Path artifact) {
      try {
        installedBytes.add(Files.readAllBytes(artifact));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      installed.add(manifest);
      return new InstallOutcome("installed", manifest.name(), "0.1.0", null);
    }

    @Override
    public Optional<String> refusal(ArtifactManifest manifest) {
      return trusted.get() ? Optional.empty() : Optional.of("signed by key ops, which this node does not trust");
    }

    @Override
    public Optional<InstallOutcome> resume(ArtifactManifest manifest) {
      resumeCalls.incrementAndGet();
      return resumed.get();
    }
  }

  /** The node's own Node with its gateway target, as the sync stored it. */
  private static final class Store implements DesiredState {
    final AtomicReference<GatewayTargetV1> target = new AtomicReference<>();

    @Override
    public Optional<NodeV1> node(String name) {
      return NODE.equals(name) ? Optional.of(new NodeV1(Map.of(), List.of(), false, target.get())) : Optional.empty();
    }

    @Override
    public List<StoredPod> pods() {
      return List.of();
    }

    @Override
    public Optional<ConfigMapV1> configMap(String namespace, String name) {
      return Optional.empty();
    }

    @Override
    public Optional<SecretV1> secret(String namespace, String name) {
      return Optional.empty();
    }

    @Override
    public List<StoredDevice> devices() {
      return List.of();
    }

    @Override
    public Optional<DeviceModelV1> deviceModel(String namespace, String name) {
      return Optional.empty();
    }
  }
}
