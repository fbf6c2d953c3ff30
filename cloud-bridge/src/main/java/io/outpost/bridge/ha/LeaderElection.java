package io.outpost.bridge.ha;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;

/**
 * Active/standby between bridge replicas: fabric8's leader election on the Lease {@value #LEASE} in the configured
 * namespace. fabric8 7.1's {@code LeaseLock} reads the Lease (get), creates it (create) and renews and releases it
 * with a JSON merge patch (patch): the Role in {@code deploy/kubernetes/20-bridge.yaml} must grant exactly
 * {@code get, create, patch} on leases there ({@code LeaderElectionRbacTest}).
 */
final class LeaderElection {
  static final String LEASE = "outpost-bridge";

  private LeaderElection() {}

  /** Renew deadline two thirds of the lease, retry period one fifth; the Lease is released when cancelled. */
  static LeaderElectionConfig config(String namespace, String identity, Duration lease, LeaderCallbacks callbacks) {
    return new LeaderElectionConfigBuilder()
        .withName(LEASE)
        .withLock(new LeaseLock(namespace, LEASE, identity))
        .withLeaseDuration(lease)
        .withRenewDeadline(lease.multipliedBy(2).dividedBy(3))
        .withRetryPeriod(lease.dividedBy(5))
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(callbacks)
        .build();
  }
}
