package io.outpost.sync.impl;

import io.outpost.identity.MqttSockets;
import io.outpost.identity.NodeCredentials;
import io.outpost.protocol.Topics;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttClientException;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MQTT 5 connection of an edge node: connects with a persistent session, subscribes to the node's downstream
 * topic with manual acknowledgements, reconnects with capped exponential back-off and full jitter. Every callback is
 * handed to the executor; {@link Handler} methods run on it.
 *
 * <p>Every network connection gets a fresh Paho client. Paho 1.2.5 sends its publishes with automatic topic
 * aliases (Mosquitto grants 10) and keeps an unacknowledged QoS 1 publish as it was sent — alias set, topic name
 * removed — to send it again on the next connection of the same client. Topic aliases live for one network
 * connection only (MQTT 5 §3.3.2.3.4): the broker has no mapping for the alias, disconnects the client with 0x82
 * (Protocol Error), and since the publish is never acknowledged the same happens on every attempt, forever
 * (eclipse-paho/paho.mqtt.java#1104). A client that is discarded with its connection re-sends nothing: the outbox
 * (EdgeSync) publishes again whatever was not acknowledged, the heartbeat and resync request are sent on every
 * connect, and the broker's session (clean start off) still delivers what was queued downstream.
 */
final class MqttLink {
  private static final Logger LOG = LoggerFactory.getLogger(MqttLink.class);

  interface Handler {
    void connected();

    /** A downstream payload; {@code ack} acknowledges it to the broker and must be called once handled. */
    void downstream(byte[] payload, Runnable ack);

    /** The bridge's (retained) online announcement; {@code ack} as for downstream. */
    void bridgeOnline(byte[] payload, Runnable ack);

    /** A stream frame (kubectl logs/exec/port-forward); runs on the MQTT callback thread and must not block. */
    void stream(byte[] payload);

    /** An artifact chunk of a gateway rollout; runs on the MQTT callback thread and must not block. */
    default void artifact(byte[] payload) {}
  }

  private final Settings settings;
  private final ScheduledExecutorService executor;
  private final Handler handler;
  private final Backoff backoff;
  /** The client of the current connection attempt or connection, or null between them; written on the executor. */
  private volatile MqttAsyncClient client;
  private volatile boolean connected;
  private volatile boolean closed;
  /** Messages that arrived before the subscription was confirmed, in order; executor only. */
  private final List<Runnable> early = new java.util.ArrayList<>();

  private final NodeCredentials credentials;
  private final String streamTopic;
  private final String artifactTopic;
  /** Room for the MQTT fixed header, topic and properties around the largest payload. */
  static final int PACKET_OVERHEAD = 4096;
  /**
   * The broker's Receive Maximum bounds this client's unacknowledged QoS 1 publishes (Paho refuses the one beyond
   * it). They are shared out: stream frames may have this many in flight, control messages (heartbeat, resync
   * request) a few, and the outbox what remains — so an outbox draining after a long disconnect never makes a
   * kubectl session lose a frame, and no outbox entry is refused and sent twice.
   */
  static final int STREAM_WINDOW = 8;
  private static final int CONTROL_RESERVE = 2;
  /** Mosquitto's default ({@code max_inflight_messages 20}); below it streams and the outbox get less. */
  static final int RECOMMENDED_RECEIVE_MAXIMUM = 20;
  private volatile int receiveMaximum = RECOMMENDED_RECEIVE_MAXIMUM;
  private final java.util.concurrent.atomic.LongAdder refusedPublishes = new java.util.concurrent.atomic.LongAdder();

  MqttLink(Settings settings, ScheduledExecutorService executor, Handler handler, NodeCredentials credentials) {
    this.credentials = credentials;
    this.settings = settings;
    this.executor = executor;
    this.handler = handler;
    this.backoff = new Backoff(java.time.Duration.ofMillis(500), settings.reconnectMax());
    this.streamTopic = Topics.stream(settings.node());
    this.artifactTopic = Topics.artifact(settings.node());
  }

  boolean isConnected() {
    return connected;
  }

  /** Why the link is down (the last failed attempt's reason), or null while connected or before the first try. */
  String problem() {
    return problem;
  }

  private volatile String problem;

  /** How many outbox entries may be unacknowledged at once on this connection (see {@link #STREAM_WINDOW}). */
  int outboxWindow() {
    return Math.max(1, receiveMaximum - STREAM_WINDOW - CONTROL_RESERVE);
  }

  /** Publishes the MQTT client refused (not connected, too many in flight), since the start. */
  long refusedPublishes() {
    return refusedPublishes.sum();
  }

  /** Drops the connection and connects again at once (new credentials after a join or a renewal). */
  void reconnectNow() {
    executor.execute(() -> {
      cancelPending();
      discard();
      connected = false;
      early.clear(); // not acknowledged on the old connection: the broker's session delivers them again
      attempting = false;
      backoff.reset();
      connect();
    });
  }

  /** A connect attempt is under way (connect sent, not yet subscribed or failed); executor thread only. */
  private boolean attempting;
  /** The scheduled retry, if any; executor thread only. */
  private java.util.concurrent.ScheduledFuture<?> pending;

  private void cancelPending() {
    if (pending != null) {
      pending.cancel(false);
      pending = null;
    }
  }

  /**
   * Runs on the executor. One attempt at a time: a retry that comes due while an attempt is under way or the link
   * is up does nothing (two attempts would fail each other, and a connected client would be marked down).
   */
  void connect() {
    if (closed || attempting || (client != null && client.isConnected() && connected)) {
      return;
    }
    attempting = true;
    try {
      discard(); // the previous connection's client, with whatever it had in flight (see the class comment)
      MqttAsyncClient attempt = new MqttAsyncClient(settings.brokerUrl(), settings.clientId(),
          new MemoryPersistence());
      attempt.setCallback(new ConnectionCallbacks(attempt, this::messageArrived,
          (connection, why) -> executor.execute(() -> lost(connection, why))));
      attempt.setManualAcks(true);
      client = attempt;
      MqttConnectionOptions options = new MqttConnectionOptions();
      options.setCleanStart(false);
      options.setSessionExpiryInterval(settings.sessionExpirySeconds());
      options.setAutomaticReconnect(false);
      options.setKeepAliveInterval(30);
      options.setConnectionTimeout(15);
      // The broker must not send this node a packet larger than it accepts: refused before it is buffered.
      options.setMaximumPacketSize((long) settings.maxMessageBytes() + PACKET_OVERHEAD);
      java.util.Optional<javax.net.ssl.SSLContext> tls;
      try {
        tls = settings.tls() ? java.util.Optional.of(credentials.tls()) : java.util.Optional.empty();
      } catch (RuntimeException e) { // no identity yet, a damaged one, a join that failed: try again later
        lost(attempt, e.getMessage());
        return;
      }
      options.setSocketFactory(MqttSockets.forUrl(settings.brokerUrl()));
      tls.ifPresent(context -> {
        options.setSocketFactory(MqttSockets.tls(context.getSocketFactory()));
        options.setHttpsHostnameVerificationEnabled(true);
      });
      attempt.connect(options, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          if (attempt != client) {
            executor.execute(() -> discard(attempt)); // superseded (reconnectNow) while it was connecting
            return;
          }
          Integer granted = token.getResponseProperties() == null ? null
              : token.getResponseProperties().getReceiveMaximum();
          receiveMaximum = granted == null ? 65_535 : granted;
          if (receiveMaximum < RECOMMENDED_RECEIVE_MAXIMUM) {
            LOG.warn("The broker lets this node have only {} unacknowledged publishes (Receive Maximum); at least {}"
                + " are recommended (Mosquitto: max_inflight_messages)", receiveMaximum,
                RECOMMENDED_RECEIVE_MAXIMUM);
          }
          executor.execute(() -> subscribe(attempt));
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
          executor.execute(() -> lost(attempt, "connect failed: " + failure.getMessage()));
        }
      });
    } catch (MqttException e) {
      lost(client, "connect failed: " + EdgeSync.describe(e));
    }
  }

  private void subscribe(MqttAsyncClient connection) {
    if (connection != client) {
      return;
    }
    try {
      List<Subscriptions.Topic> topics = Subscriptions.of(settings.node());
      int[] qos = new int[topics.size()];
      java.util.Arrays.fill(qos, 1);
      connection.subscribe(Subscriptions.names(topics), qos, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          int[] refused = Subscriptions.refusedRequired(topics, token.getReasonCodes());
          if (refused != null) {
            executor.execute(() -> lost(connection, "subscription refused by the broker (reason codes "
                + java.util.Arrays.toString(refused) + "): check the broker's ACL for node " + settings.node()));
            return;
          }
          executor.execute(() -> {
            if (connection != client) {
              return;
            }
            connected = true;
            problem = null;
            attempting = false;
            backoff.reset();
            LOG.info("Connected to {} as {}", settings.brokerUrl(), settings.clientId());
            handler.connected();
            List<Runnable> held = List.copyOf(early);
            early.clear();
            held.forEach(Runnable::run);
          });
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
          executor.execute(() -> lost(connection, "subscribe failed: " + failure.getMessage()));
        }
      });
    } catch (MqttException e) {
      lost(connection, "subscribe failed: " + EdgeSync.describe(e));
    }
  }

  /**
   * The connection of {@code connection} failed or ended: its client is discarded and a retry scheduled, once —
   * a failed subscribe and the disconnect that caused it report the same loss, and a superseded client's late
   * callbacks report nothing. Executor thread only.
   */
  private void lost(MqttAsyncClient connection, String why) {
    if (connection != client) {
      return;
    }
    discard();
    retry(why);
  }

  private void retry(String why) {
    connected = false;
    problem = why;
    early.clear(); // not acknowledged: the broker's session delivers them again
    attempting = false;
    if (closed) {
      return;
    }
    cancelPending();
    long delay = backoff.next().toMillis();
    if (backoff.attempts() == 1) {
      LOG.warn("MQTT link to {} down ({}); reconnecting with back-off", settings.brokerUrl(), why);
    } else {
      LOG.debug("Reconnect attempt {} in {} ms ({})", backoff.attempts(), delay, why);
    }
    pending = executor.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /** Publishes QoS 1; failures are logged, the outbox keeps what was not confirmed. Runs on the executor. */
  void publish(String topic, byte[] payload, MqttActionListener listener) {
    try {
      MqttAsyncClient connection = client;
      if (connection == null) {
        throw new MqttException(MqttClientException.REASON_CODE_CLIENT_NOT_CONNECTED);
      }
      connection.publish(topic, payload, 1, false, null, listener);
    } catch (MqttException e) {
      refusedPublishes.increment();
      LOG.debug("Publish to {} failed: {}", topic, EdgeSync.describe(e));
      if (listener != null) {
        listener.onFailure(null, e);
      }
    }
  }

  /**
   * Publishes QoS 0, for disposable telemetry (resource usage): nothing is retried, no broker queues it for a bridge
   * that is away, and it takes none of the in-flight window that statuses and events need (the broker's Receive
   * Maximum bounds QoS 1 only). Runs on the executor. False if it was not handed to the connection.
   */
  boolean publishDisposable(String topic, byte[] payload) {
    try {
      MqttAsyncClient connection = client;
      if (connection == null || !connection.isConnected()) {
        return false;
      }
      connection.publish(topic, payload, 0, false);
      return true;
    } catch (MqttException e) {
      LOG.debug("Publish to {} failed: {}", topic, EdgeSync.describe(e));
      return false;
    }
  }

  /** A message that arrived on {@code connection}; runs on Paho's callback thread. */
  void messageArrived(MqttAsyncClient connection, String topic, MqttMessage message) {
    byte[] payload = message.getPayload();
    int id = message.getId();
    int qos = message.getQos();
    if (topic.equals(streamTopic)) {
      if (connected) {
        handler.stream(payload);
      } // else: queued for this node before the connection was set up — its session is over (the bridge ends it)
      ack(connection, id, qos);
    } else if (topic.equals(artifactTopic)) {
      handler.artifact(payload); // a chunk lost with a connection is asked for again (node-pull)
      ack(connection, id, qos);
    } else if (Topics.BRIDGE_ONLINE.equals(topic)) {
      executor.execute(() -> whenSubscribed(connection,
          () -> handler.bridgeOnline(payload, () -> ack(connection, id, qos))));
    } else {
      executor.execute(() -> whenSubscribed(connection,
          () -> handler.downstream(payload, () -> ack(connection, id, qos))));
    }
  }

  /**
   * Hands a message to the handler once the subscription is confirmed. The broker sends retained messages (the
   * bridge's announcement) right after its SUBACK, and Paho may deliver them before it completes the subscription:
   * handled first, the announcement would find the link not yet connected, its resync would not be sent, and the
   * connection that follows would wait for an announcement already consumed (seen in CI once sockets sent at once).
   * Runs on the executor.
   */
  private void whenSubscribed(MqttAsyncClient connection, Runnable delivery) {
    if (connection != client) {
      return; // arrived on a connection that is gone, not acknowledged: the broker's session delivers it again
    }
    if (connected) {
      delivery.run();
    } else {
      early.add(delivery);
    }
  }

  /**
   * Acknowledges on the connection the message arrived on. Packet identifiers belong to one connection's
   * exchange: on a later connection the same number may name another message (a broker that lost its state
   * numbers from 1 again), which an acknowledgement would drop unseen. Not acknowledged, the message is
   * delivered again on the resumed session, and a repeat is harmless (sequence numbers, idempotent handling).
   */
  private void ack(MqttAsyncClient connection, int id, int qos) {
    if (qos == 0 || connection != client) {
      return;
    }
    try {
      connection.messageArrivedComplete(id, qos);
    } catch (MqttException e) {
      LOG.debug("Ack of message {} failed: {}", id, EdgeSync.describe(e));
    }
  }

  /** Ends the current client, if any, with its connection and everything it held in flight. */
  private void discard() {
    MqttAsyncClient old = client;
    client = null;
    connected = false;
    if (old != null) {
      discard(old);
    }
  }

  private static void discard(MqttAsyncClient old) {
    try {
      if (old.isConnected()) {
        old.disconnect().waitForCompletion(5_000);
      }
    } catch (MqttException e) {
      LOG.debug("Disconnect failed: {}", EdgeSync.describe(e));
    }
    try {
      old.close(true);
    } catch (MqttException e) { // a connect still under way (32110): its late callbacks are ignored, see lost()
      LOG.debug("Close failed: {}", EdgeSync.describe(e));
    }
  }

  /** Idempotent. Called from the component's deactivation, not on the executor. */
  void close() {
    closed = true;
    discard();
  }
}
