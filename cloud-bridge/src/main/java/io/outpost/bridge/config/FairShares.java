package io.outpost.bridge.config;

import java.time.Duration;
import java.util.Map;

/**
 * How the bridge shares its work among nodes and clients, so that one flooding node or internet client cannot
 * starve the others: per-node rates and queue bounds for upstream messages, the heartbeat lane, resync rates, the
 * admission webhook's workers and queue, and the kubelet-API stream shares. Read from {@code OUTPOST_*} keys; every
 * value has a default sized for a conformant node (its outboxes keep at most 64 publishes in flight and one status
 * per pod) and a cluster's pod-creation rate.
 *
 * @param upstreamPerSecond per node and channel (status, event, device), messages accepted per second on average
 * @param upstreamBurst per node and channel, messages accepted at once above the average
 * @param queueMessages per node, upstream messages waiting at most
 * @param queueBytes per node, payload bytes waiting at most
 * @param upstreamThreads threads writing upstream messages (statuses, events, device statuses) to Kubernetes
 * @param heartbeatThreads threads of the heartbeat lane (Node status and Lease), which nothing else uses
 * @param heartbeatsPerSecond per node, heartbeats handled per second on average (a node sends one every
 *     {@code heartbeat.interval.seconds}, at least 1 s, and one on every connect)
 * @param heartbeatBurst per node, heartbeats handled at once above the average
 * @param resyncsPerMinute per node, resync requests accepted per minute on average
 * @param resyncBurst per node, resync requests accepted at once
 * @param webhookThreads admission webhook workers
 * @param webhookQueue admission reviews waiting for a worker at most; beyond: answered 503 at once
 * @param webhookTimeout how long a review may wait for a worker before it is answered 503 (below the
 *     configuration's {@code timeoutSeconds}, 2 s for most pods: an answer after it is worthless)
 * @param streamsPerNode kubelet-API sessions (exec, attach, logs, port-forward) per edge node at most
 * @param streamsPerUser kubelet-API sessions per requesting user (the API server's client identity) at most
 */
public record FairShares(int upstreamPerSecond, int upstreamBurst, int queueMessages, int queueBytes,
    int upstreamThreads, int heartbeatThreads, int heartbeatsPerSecond, int heartbeatBurst, int resyncsPerMinute, int resyncBurst, int webhookThreads,
    int webhookQueue, Duration webhookTimeout, int streamsPerNode, int streamsPerUser) {

  public static final FairShares DEFAULTS = from(Map.of());

  public static FairShares from(Map<String, String> env) {
    return new FairShares(
        BridgeConfig.integer(env, "OUTPOST_UPSTREAM_PER_SECOND", 50, 1, 100_000),
        BridgeConfig.integer(env, "OUTPOST_UPSTREAM_BURST", 500, 1, 1_000_000),
        BridgeConfig.integer(env, "OUTPOST_UPSTREAM_QUEUE_MESSAGES", 1000, 1, 1_000_000),
        BridgeConfig.integer(env, "OUTPOST_UPSTREAM_QUEUE_BYTES", 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
        BridgeConfig.integer(env, "OUTPOST_UPSTREAM_THREADS", 4, 1, 64),
        BridgeConfig.integer(env, "OUTPOST_HEARTBEAT_THREADS", 2, 1, 64),
        BridgeConfig.integer(env, "OUTPOST_HEARTBEATS_PER_SECOND", 2, 1, 1000),
        BridgeConfig.integer(env, "OUTPOST_HEARTBEAT_BURST", 5, 1, 1000),
        BridgeConfig.integer(env, "OUTPOST_RESYNCS_PER_MINUTE", 12, 1, 6000),
        BridgeConfig.integer(env, "OUTPOST_RESYNC_BURST", 10, 1, 1000),
        BridgeConfig.integer(env, "OUTPOST_WEBHOOK_THREADS", 8, 1, 256),
        BridgeConfig.integer(env, "OUTPOST_WEBHOOK_QUEUE", 256, 0, 100_000),
        Duration.ofMillis(BridgeConfig.integer(env, "OUTPOST_WEBHOOK_QUEUE_TIMEOUT_MS", 1500, 10, 30_000)),
        BridgeConfig.integer(env, "OUTPOST_STREAMS_PER_NODE", 32, 1, 100_000),
        BridgeConfig.integer(env, "OUTPOST_STREAMS_PER_USER", 64, 1, 100_000));
  }
}
