package io.outpost.sync.impl;

import io.outpost.identity.NodeCredentials;
import io.outpost.protocol.BridgeOnline;
import io.outpost.protocol.Buckets;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.ResyncRequest;
import io.outpost.protocol.Topics;
import io.outpost.store.SyncPosition;
import io.outpost.sync.SyncState;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync loop of one edge node. All state is confined to one executor thread ("outpost-sync"); MQTT callbacks only
 * hand work to it. On every (re)connect it subscribes to its downstream topic, sends its digest (a resync request),
 * a heartbeat, and drains the status outbox.
 */
final class EdgeSync implements MqttLink.Handler {
  /** Every kind this node's store holds: the bridge sends no other (see ResyncRequest#kinds). */
  static final List<String> ACCEPTED_KINDS = java.util.Arrays.stream(io.outpost.store.Kind.values())
      .map(io.outpost.store.Kind::label).sorted().toList();
  private static final Logger LOG = LoggerFactory.getLogger(EdgeSync.class);

  private final Settings settings;
  private final SyncStore store;
  private final ScheduledExecutorService executor;
  private final Codec codec;
  private final NodeFacts facts;
  private final ResyncTracker resyncs = new ResyncTracker(Clock.systemUTC(), Duration.ofSeconds(30));
  private final Counters rejected = new Counters();
  private final Counters outcomes = new Counters();
  private final DownstreamHandler downstream;
  private final MqttLink link;
  private final OutboxPublisher outbox;
  private ScheduledFuture<?> heartbeat;
  private String bridgeSession;
  /** A bridge announcement arrived on this connection: the bridge is subscribed at this broker. */
  private boolean bridgeListening;

  /** The node's health summary for heartbeats (empty where nothing reports). */
  private final java.util.function.Supplier<java.util.Map<String, Double>> health;

  EdgeSync(Settings settings, SyncStore store, ScheduledExecutorService executor, String agentVersion) {
    this(settings, store, executor, agentVersion, java.util.Map::of, () -> null);
  }

  /** With credentials of its own, kept where {@code settings} say (tests; the component passes the service). */
  EdgeSync(Settings settings, SyncStore store, ScheduledExecutorService executor, String agentVersion,
      java.util.function.Supplier<java.util.Map<String, Double>> health,
      java.util.function.Supplier<io.outpost.containers.PodStreams> podStreams) {
    this(settings, store, executor, agentVersion, health, podStreams,
        NodeCredentials.of(settings.enrollment(), Clock.systemUTC()));
  }

  EdgeSync(Settings settings, SyncStore store, ScheduledExecutorService executor, String agentVersion,
      java.util.function.Supplier<java.util.Map<String, Double>> health,
      java.util.function.Supplier<io.outpost.containers.PodStreams> podStreams, NodeCredentials credentials) {
    this(settings, store, executor, agentVersion, health, podStreams, credentials, () -> null);
  }

  /** With the container manager's resource usage (while it runs), sent on its own cadence ({@link StatsPublisher}). */
  EdgeSync(Settings settings, SyncStore store, ScheduledExecutorService executor, String agentVersion,
      java.util.function.Supplier<java.util.Map<String, Double>> health,
      java.util.function.Supplier<io.outpost.containers.PodStreams> podStreams, NodeCredentials credentials,
      java.util.function.Supplier<io.outpost.containers.ResourceUsage> usage) {
    this(settings, store, executor, agentVersion, health, podStreams, credentials, usage,
        new EdgeArtifacts(Clock.systemUTC()));
  }

  /** With the gateway rollout channel the component keeps across link restarts ({@link EdgeArtifacts}). */
  EdgeSync(Settings settings, SyncStore store, ScheduledExecutorService executor, String agentVersion,
      java.util.function.Supplier<java.util.Map<String, Double>> health,
      java.util.function.Supplier<io.outpost.containers.PodStreams> podStreams, NodeCredentials credentials,
      java.util.function.Supplier<io.outpost.containers.ResourceUsage> usage, EdgeArtifacts artifacts) {
    this.artifacts = artifacts;
    this.health = health;
    this.settings = settings;
    this.store = store;
    this.executor = executor;
    this.codec = new Codec(settings.maxMessageBytes());
    this.facts = new NodeFacts(settings.node(), agentVersion, settings.maxPods(), settings.nodeStatus(),
        Clock.systemUTC(), settings.site(), settings.region());
    this.shaper = new ReportShaper(settings.factsRefresh(), settings.metricsInterval(), Clock.systemUTC());
    this.downstream = new DownstreamHandler(settings.node(), codec, store.log(), resyncs, rejected, outcomes);
    this.credentials = credentials;
    this.link = new MqttLink(settings, executor, this, credentials);
    this.outbox = new OutboxPublisher(settings.node(), store, link, codec, executor, rejected,
        () -> link.isConnected() && bridgeListening);
    String streamUp = Topics.up(settings.node(), Topics.Up.STREAM);
    this.streams = new EdgeStreams(settings.node(), (payload, done) -> {
      if (!link.isConnected()) {
        done.accept(false);
        return;
      }
      link.publish(streamUp, payload, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          done.accept(true);
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
          done.accept(false);
        }
      });
    }, podStreams, link::isConnected, rejected, STREAM_KEEPALIVE);
    this.stats = new StatsPublisher(settings.node(), settings.statsInterval(), codec, usage,
        link::isConnected, executor, (topic, payload) -> bridgeListening // read on the sync thread, as set
            && link.publishDisposable(topic, payload));
    artifacts.attach(EdgeArtifacts.over(settings.node(), link, executor, () -> bridgeListening));
  }

  /** Gateway rollouts: chunk requests and progress reports out, chunks in. */
  private final EdgeArtifacts artifacts;

  /** The node's resource usage for the bridge's kubelet stats endpoints, on its own thread and cadence. */
  private final StatsPublisher stats;

  /** Resource usage reports sent and skipped since the start. */
  long statsSent() {
    return stats.sent();
  }

  long statsSkipped() {
    return stats.skipped();
  }

  /** How often an idle stream session shows it is alive; a peer silent for three times this is gone. */
  static final Duration STREAM_KEEPALIVE = Duration.ofSeconds(10);
  private final EdgeStreams streams;
  private ScheduledFuture<?> streamTicker;

  private final NodeCredentials credentials;
  /** What of the full heartbeat the link carries: facts on connect and change, metrics on their own cadence. */
  private final ReportShaper shaper;

  /** The node's allocatable resources as its heartbeats report them (the container manager admits pods with them). */
  java.util.Map<String, String> allocatable() {
    return facts.allocatable();
  }

  void start() {
    java.util.Optional<String> refused = settings.refusal();
    if (refused.isPresent()) { // nothing is started: the node stays offline and says why (log, outpost:status)
      LOG.error("Not connecting to the cloud: configuration refused: {}", refused.get());
      return;
    }
    if (!settings.tls()) {
      LOG.warn("Plain MQTT to {}, allowed by insecure.plaintext = true: for a development link only — this node is"
          + " not authenticated and any host on the path can read its traffic and register Nodes; use ssl:// and"
          + " outpost:join in production", settings.brokerUrl());
    }
    executor.execute(link::connect);
    heartbeat = executor.scheduleWithFixedDelay(this::safeTick, settings.heartbeat().toMillis(),
        settings.heartbeat().toMillis(), TimeUnit.MILLISECONDS);
    streamTicker = executor.scheduleWithFixedDelay(streams::tick, STREAM_KEEPALIVE.toMillis(),
        STREAM_KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS);
    stats.start();
  }

  @Override
  public void stream(byte[] payload) {
    streams.receive(payload);
  }

  @Override
  public void artifact(byte[] payload) {
    artifacts.arrived(payload);
  }

  /** Open kubectl logs/exec/port-forward sessions. */
  int openStreams() {
    return streams.open();
  }

  void close() {
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    if (streamTicker != null) {
      streamTicker.cancel(false);
    }
    streams.close();
    stats.close();
    renewals.shutdownNow();
    link.close();
  }

  @Override
  public void connected() {
    resyncs.abandon();
    outbox.reset();
    bridgeListening = false;
    shaper.reset(); // a full report on every connect: the bridge behind this connection may have restarted
    sendHeartbeat(); // the bridge registers an unknown node before it answers the node's resync
    // The resync and the outbox wait for the bridge's announcement on this connection (retained: it arrives with
    // the subscription if the bridge is there). A broker that lost its state has no subscription of the bridge
    // until the bridge announces itself, and a message published before would be acknowledged and dropped.
  }

  @Override
  public void downstream(byte[] payload, Runnable ack) {
    DownstreamHandler.Then then = downstream.handle(payload);
    ack.run();
    if (then == DownstreamHandler.Then.RESYNC) {
      sendResync("gap");
    } else if (then == DownstreamHandler.Then.SEND_FULL_DIGEST) {
      resyncs.abandon();
      sendResync("digest_mismatch", true);
    }
  }

  /**
   * A bridge session the node has not seen before is listening now: whatever was sent while it was away (a resync
   * request included) may be lost, so the node resyncs at once instead of waiting for its 30 s retry. The
   * retained copy replayed on the node's own reconnect carries a known session and changes nothing.
   */
  @Override
  public void bridgeOnline(byte[] payload, Runnable ack) {
    BridgeOnline online;
    try {
      online = codec.decode(payload, BridgeOnline.class);
    } catch (ProtocolException e) {
      rejected.increment(e.reason().label());
      LOG.warn("Rejected bridge announcement ({} bytes): {}", payload.length, e.getMessage());
      ack.run();
      return;
    }
    ack.run();
    String previous = bridgeSession;
    bridgeSession = online.sessionId();
    boolean firstOnThisConnection = !bridgeListening;
    bridgeListening = true;
    boolean newSession = !online.sessionId().equals(previous);
    if (newSession) {
      // What was delivered to an earlier session may have been lost with it (e.g. a broker that lost its state):
      // statuses are idempotent and coalesced, so every pod's and device's newest one is offered again.
      int requeued = store.requeueStatuses();
      LOG.info("Bridge session {} (epoch {}) online: {} status(es) offered again", online.sessionId(),
          online.epoch(), requeued);
      // A bridge that restarted knows none of this node's facts: they go with the next heartbeat, sent now.
      shaper.reset();
      sendHeartbeat();
    }
    if (firstOnThisConnection || newSession) {
      resyncs.abandon();
      sendResync(firstOnThisConnection ? "connect" : "bridge_online");
    }
    drainOutbox();
    if (firstOnThisConnection || newSession) {
      artifacts.bridgeUp();
    }
  }

  void requestResync(String reason) {
    executor.execute(() -> {
      resyncs.abandon();
      sendResync(reason);
    });
  }

  void outboxChanged() {
    executor.execute(this::drainOutbox);
  }

  SyncState state() {
    SyncPosition position = store.position();
    return new SyncState(settings.node(), settings.brokerUrl(), link.isConnected(), position.epoch(),
        position.seq(), store.statusDepth(), store.events().depth(), store.events().dropped(), resyncs.lastCompletedAt(), resyncs.lastObjects(),
        rejected.snapshot(), outcomes.snapshot(), settings.refusal().map(r -> "configuration refused: " + r)
        .orElseGet(link::problem));
  }

  /** Joins with a one-time token (the identity bundle's {@link NodeCredentials}) and reconnects with it. */
  String join(String url, String token, String caFingerprint) {
    io.outpost.identity.NodeIdentity identity = credentials.join(url, token, caFingerprint);
    link.reconnectNow();
    return identity.toString();
  }

  /** Renewal talks to the join endpoint (up to a minute when it is away): never on the sync thread. */
  private final java.util.concurrent.ExecutorService renewals = java.util.concurrent.Executors.newSingleThreadExecutor(
      runnable -> {
        Thread thread = new Thread(runnable, "outpost-sync-renewal");
        thread.setDaemon(true);
        return thread;
      });
  private final java.util.concurrent.atomic.AtomicBoolean renewing = new java.util.concurrent.atomic.AtomicBoolean();

  /** A periodic task that throws is never run again: heartbeats, renewals and drains must outlive any one failure. */
  private void safeTick() {
    try {
      tick();
    } catch (RuntimeException e) {
      LOG.error("Periodic sync work failed; it runs again at the next heartbeat", e);
    }
  }

  private void tick() {
    if (renewing.compareAndSet(false, true)) {
      try {
        renewals.execute(() -> {
          try {
            if (settings.tls() && credentials.renewIfDue()) {
              link.reconnectNow();
            }
          } finally {
            renewing.set(false);
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        renewing.set(false);
      }
    }
    if (resyncs.hasPending()) {
      sendResync("retry"); // only sends if the pending request timed out unanswered
    }
    sendHeartbeat();
    drainOutbox();
  }

  private void sendResync(String reason) {
    sendResync(reason, false);
  }

  /**
   * Compact form first (a digest of ~100 bytes whatever the store holds); the full list of refs only when the
   * bridge answers that the digest does not match.
   */
  private void sendResync(String reason, boolean full) {
    if (!link.isConnected()) {
      return;
    }
    String correlationId = resyncs.begin();
    if (correlationId == null) {
      return;
    }
    SyncPosition position = store.position();
    List<ObjectRef> held = store.held();
    List<String> theirs = full ? downstream.mismatchBuckets() : null;
    ResyncRequest request;
    if (theirs != null) {
      // Only the buckets whose digest differs from the bridge's: a node that missed a few changes sends a few refs.
      List<String> ours = Buckets.digests(held, theirs.size());
      List<Integer> differing = new ArrayList<>();
      for (int i = 0; i < theirs.size(); i++) {
        if (!ours.get(i).equals(theirs.get(i))) {
          differing.add(i);
        }
      }
      Set<Integer> covered = new HashSet<>(differing);
      List<ObjectRef> inThem = held.stream().filter(r -> covered.contains(Buckets.bucketOf(r.key(), theirs.size())))
          .toList();
      request = new ResyncRequest(Codec.VERSION, settings.node(), correlationId, position.epoch(), position.seq(),
          reason, inThem, ResyncRequest.digestOf(held), held.size(), theirs.size(), differing, ACCEPTED_KINDS);
    } else {
      request = new ResyncRequest(Codec.VERSION, settings.node(), correlationId, position.epoch(), position.seq(),
          reason, full ? held : null, ResyncRequest.digestOf(held), held.size(), null, null, ACCEPTED_KINDS);
    }
    byte[] payload;
    try {
      payload = codec.encode(request);
    } catch (IllegalArgumentException e) {
      resyncs.abandon();
      LOG.error("Cannot send a resync request: {} (raise max.message.bytes)", e.getMessage());
      return;
    }
    link.publish(Topics.up(settings.node(), Topics.Up.RESYNC), payload, null);
    LOG.info("Resync requested ({}, {} form, {} bytes), holding {} object(s) at {}", reason,
        request.partial() ? "partial (" + request.buckets().size() + " of " + request.bucketCount() + " buckets)"
            : full ? "full" : "compact", payload.length, held.size(), position);
  }

  /** The node's heartbeat with what changed since the last one the broker acknowledged on this connection. */
  private void sendHeartbeat() {
    if (link.isConnected()) {
      ReportShaper.Shaped shaped = shaper.shape(facts.report(true, "Outpost edge ready", health.get()));
      link.publish(Topics.up(settings.node(), Topics.Up.NODE), codec.encode(shaped.report()),
          new MqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
              shaper.delivered(shaped);
            }

            @Override
            public void onFailure(IMqttToken token, Throwable failure) {
              // Not delivered: the next heartbeat carries its facts again.
            }
          });
    }
  }

  private void drainOutbox() {
    outbox.drain();
  }

  /** Publishes the MQTT client refused since the start (for tests: the in-flight budget holds). */
  long refusedPublishes() {
    return link.refusedPublishes();
  }

  static String describe(MqttException e) {
    return e.getReasonCode() + " " + e.getMessage();
  }
}
