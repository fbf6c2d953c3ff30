package io.outpost.bridge.ha;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.outpost.bridge.config.BridgeConfig;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which replica is the active bridge. Without leader election this one is, from {@link #start}; with it, this one
 * stands by until it holds the Lease ({@link LeaderElection}). With the kubelet API on, the replica's pod carries the
 * {@link ActiveLabel} while it is active, so that the kubelet Service routes to it. Losing the Lease is final: the
 * bridge stops (and the process exits, to restart as a standby), the simplest way to guarantee that only one is
 * active.
 */
public final class Leadership {
  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  private final KubernetesClient client;
  private final BridgeConfig config;
  private ActiveLabel activeLabel;
  private CompletableFuture<?> election;
  private volatile boolean active;
  private volatile boolean resigned;
  private Runnable onActive = () -> { };
  private Runnable onLost = () -> { };

  public Leadership(KubernetesClient client, BridgeConfig config) {
    this.client = client;
    this.config = config;
  }

  /** With leader election: marks this replica's pod as not active now and as active once it leads. */
  public void labelTheActiveReplica() {
    if (config.leaderElection()) {
      activeLabel = new ActiveLabel(client, config.leaderElectionNamespace(), config.leaderIdentity());
      activeLabel.set(false);
    }
  }

  /**
   * Runs {@code onActive} once this replica is the active one (at once without leader election), and {@code onLost}
   * if it loses the leadership after that.
   */
  public void start(Runnable onActive, Runnable onLost) {
    this.onActive = onActive;
    this.onLost = onLost;
    if (config.leaderElection()) {
      election = client.leaderElector().withConfig(LeaderElection.config(config.leaderElectionNamespace(),
          config.leaderIdentity(), config.leaderLease(), new LeaderCallbacks(this::activate, this::lost,
              leader -> LOG.info("Bridge leader is {}", leader)))).build().start();
      LOG.info("Standing by as {} for the leader Lease {}/{}", config.leaderIdentity(),
          config.leaderElectionNamespace(), LeaderElection.LEASE);
    } else {
      activate();
    }
  }

  private synchronized void activate() {
    if (resigned || active) {
      return;
    }
    active = true;
    onActive.run();
    if (activeLabel != null) {
      activeLabel.set(true);
    }
    LOG.info("Bridge active as {}", config.leaderIdentity());
  }

  /**
   * Another replica leads now (or this one could not renew the Lease): this one must stop at once, and the
   * simplest way to guarantee that is to stop everything ({@code onLost}).
   */
  private void lost() {
    if (resigned) {
      return;
    }
    LOG.error("Lost the bridge leadership: stopping so that only one bridge is active");
    onLost.run();
  }

  /** True once this replica became the active one (always, without leader election, once started). */
  public boolean isActive() {
    return active;
  }

  /** Stops competing: releases the Lease, so that a standby takes over within its retry period. Idempotent. */
  public synchronized void resign() {
    resigned = true;
    if (election != null) {
      election.cancel(true);
    }
  }

  /** After {@link #resign}: takes the active mark off this replica's pod, if it carried it. */
  public void unlabel() {
    if (activeLabel != null && active) {
      activeLabel.set(false);
    }
  }
}
