package io.outpost.bridge.config;

import java.time.Duration;
import java.util.Map;

/**
 * The bridge's settings for gateway rollouts (docs/operations.md, "Gateway rollouts";
 * {@code io.outpost.bridge.rollout}), read with the rest of its configuration:
 * <ul>
 *   <li>{@code OUTPOST_GATEWAY_ROLLOUTS} (default {@code true}): run the GatewayRollout controller on the active
 *       replica (idle, with one log line, where {@code deploy/kubernetes/08-rollout-crds.yaml} is not applied);</li>
 *   <li>{@code OUTPOST_ROLLOUT_ONLINE_SECONDS} (default {@code OUTPOST_LEASE_DURATION_SECONDS}, 40; 10–86400): a node
 *       last heard from longer ago is offline — it is not assigned an artifact, and an assigned one holds no slot.
 *       "Heard from" is its last heartbeat at this bridge (every 10 s by default), or, for a replica that has not
 *       heard it yet, its Node's Ready heartbeat; as for a Lease, a node silent for the Lease's duration is gone.</li>
 * </ul>
 */
public record RolloutSettings(boolean enabled, Duration onlineWindow) {

  public static RolloutSettings from(Map<String, String> env, Duration leaseDuration) {
    String enabled = env.getOrDefault("OUTPOST_GATEWAY_ROLLOUTS", "true").trim();
    if (!enabled.equals("true") && !enabled.equals("false")) {
      throw new IllegalArgumentException("OUTPOST_GATEWAY_ROLLOUTS must be true or false, was '" + enabled + "'");
    }
    int fallback = (int) Math.min(86_400, Math.max(10, leaseDuration.toSeconds()));
    return new RolloutSettings(enabled.equals("true"), Duration.ofSeconds(BridgeConfig.integer(env,
        "OUTPOST_ROLLOUT_ONLINE_SECONDS", fallback, 10, 86_400)));
  }
}
