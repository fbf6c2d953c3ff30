package io.outpost.bridge.mqtt;

import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.identity.MqttSockets;
import io.outpost.protocol.Topics;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's MQTT 5 connection: a persistent session subscribed to every node's upstream topics, QoS 1 publishes
 * bounded by the broker's receive maximum (Paho refuses publishes beyond its in-flight window), and reconnection
 * with capped exponential back-off and full jitter. Upstream messages are handed to {@code onUpstream} on the
 * bridge's per-node queues; the Paho callback thread never does the work.
 *
 * <p>Every network connection gets a fresh Paho client. Paho 1.2.5 sends publishes with automatic topic aliases
 * and keeps an unacknowledged QoS 1 publish as sent — alias set, topic name removed — to send it again on the
 * same client's next connection, where the alias is unknown: Mosquitto disconnects for a protocol error (0x82) on
 * every attempt, forever (eclipse-paho/paho.mqtt.java#1104). A downstream message lost with a discarded client
 * is a sequence gap for its node, which resyncs; the announcement is published on every connect.
 */
public final class MqttBridgeLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MqttBridgeLink.class);
  private static final int DEFAULT_WINDOW = 20;

  private final BridgeConfig config;
  private final ScheduledExecutorService scheduler;
  private final BiConsumer<String, byte[]> onUpstream;
  private final Metrics metrics;
  /** The client of the current connection or attempt, or null once it failed; replaced by every connect. */
  private volatile MqttAsyncClient client;
  /** Whether {@link #client} has been used for a connect (the first one is made by the constructor). */
  private boolean used;
  private final java.util.function.Supplier<byte[]> announcement;
  private volatile Semaphore window = new Semaphore(DEFAULT_WINDOW);
  private volatile int windowSize = DEFAULT_WINDOW;
  private volatile boolean connected;
  private volatile boolean closed;
  private int attempt;

  /** The TLS context for an {@code ssl://} broker (client certificate and trusted CA), or null. */
  private final javax.net.ssl.SSLContext tls;

  public MqttBridgeLink(BridgeConfig config, ScheduledExecutorService scheduler, BiConsumer<String, byte[]> onUpstream,
      Metrics metrics, java.util.function.Supplier<byte[]> announcement, javax.net.ssl.SSLContext tls)
      throws MqttException {
    if (config.plaintext()) { // BridgeConfig refuses it unless OUTPOST_INSECURE_PLAINTEXT=true
      LOG.warn("Plain MQTT to {}, allowed by OUTPOST_INSECURE_PLAINTEXT=true: for a development link only — nodes"
          + " and the bridge are not authenticated, and any host on the path can read the traffic and register"
          + " Nodes", config.brokerUrl());
    }
    this.tls = tls;
    this.announcement = announcement;
    this.config = config;
    this.scheduler = scheduler;
    this.onUpstream = onUpstream;
    this.metrics = metrics;
    this.client = newClient();
    metrics.gauge("outpost_bridge_mqtt_connected", () -> connected ? 1 : 0);
  }

  public boolean isConnected() {
    return connected;
  }

  /** Publishes made on the current connection and not yet acknowledged by the broker. */
  int inFlight() {
    return windowSize - window.availablePermits();
  }

  private MqttAsyncClient newClient() throws MqttException {
    MqttAsyncClient fresh = new MqttAsyncClient(config.brokerUrl(), config.mqttClientId(), new MemoryPersistence());
    fresh.setCallback(new ConnectionCallbacks(fresh));
    return fresh;
  }

  public synchronized void connect() {
    if (closed) {
      return;
    }
    MqttAsyncClient current;
    try {
      if (used || client == null) {
        discard(); // with whatever it had in flight (see the class comment)
        client = newClient();
      }
      used = true;
      current = client;
    } catch (MqttException e) {
      retry("connect failed: " + e.getMessage());
      return;
    }
    MqttConnectionOptions options = new MqttConnectionOptions();
    options.setCleanStart(false);
    options.setSessionExpiryInterval(3600L);
    options.setAutomaticReconnect(false);
    options.setKeepAliveInterval(30);
    options.setConnectionTimeout(15);
    // Brokers must not send the bridge a packet larger than it accepts: refused before it is buffered.
    options.setMaximumPacketSize((long) config.maxMessageBytes() + 4096);
    options.setSocketFactory(MqttSockets.forUrl(config.brokerUrl()));
    if (tls != null) {
      options.setSocketFactory(MqttSockets.tls(tls.getSocketFactory()));
      options.setHttpsHostnameVerificationEnabled(true);
    }
    try {
      current.connect(options, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          if (current != client) {
            return;
          }
          Integer receiveMaximum = token.getResponseProperties() == null ? null
              : token.getResponseProperties().getReceiveMaximum();
          int size = receiveMaximum == null ? DEFAULT_WINDOW : Math.min(receiveMaximum, 1000);
          windowSize = size;
          window = new Semaphore(size);
          subscribe(current);
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
          lost(current, "connect failed: " + failure.getMessage());
        }
      });
    } catch (MqttException e) {
      lost(current, "connect failed: " + e.getMessage());
    }
  }

  private void subscribe(MqttAsyncClient connection) {
    try {
      connection.subscribe(Topics.allUp(), 1, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          if (connection != client) {
            return;
          }
          attempt = 0;
          connected = true;
          LOG.info("Connected to {} as {}, subscribed to {}", config.brokerUrl(), config.mqttClientId(),
              Topics.allUp());
          announce(connection);
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
          lost(connection, "subscribe failed: " + failure.getMessage());
        }
      });
    } catch (MqttException e) {
      lost(connection, "subscribe failed: " + e.getMessage());
    }
  }

  /**
   * The connection of {@code connection} failed or ended: its client is discarded and one retry scheduled — a
   * failed subscribe and the disconnect behind it report the same loss, and a discarded client's late callbacks
   * report nothing. Handed to the scheduler: Paho forbids disconnecting from its own callback threads.
   */
  private void lost(MqttAsyncClient connection, String why) {
    scheduler.execute(() -> {
      synchronized (this) {
        if (connection != client) {
          return;
        }
        discard();
        retry(why);
      }
    });
  }

  private synchronized void discard() {
    MqttAsyncClient old = client;
    client = null;
    connected = false;
    if (old == null) {
      return;
    }
    try {
      if (old.isConnected()) {
        old.disconnect().waitForCompletion(5_000);
      }
    } catch (MqttException e) {
      LOG.debug("MQTT disconnect: {}", e.getMessage());
    }
    try {
      old.close(true);
    } catch (MqttException e) { // a connect still under way: its late callbacks are ignored, see lost()
      LOG.debug("MQTT close: {}", e.getMessage());
    }
  }

  /** Tells every node, retained, that this bridge session is now listening: nodes resync at once. */
  private void announce(MqttAsyncClient connection) {
    try {
      connection.publish(Topics.BRIDGE_ONLINE, announcement.get(), 1, true);
    } catch (MqttException e) {
      LOG.warn("Could not announce the bridge session: {}", e.getMessage());
    }
  }

  private synchronized void retry(String why) {
    connected = false;
    if (closed) {
      return;
    }
    // The bridge is one central client: a short cap keeps the time from broker-up to answering resyncs small.
    long ceiling = Math.min(5_000L, 500L << Math.min(attempt, 16));
    long delay = ThreadLocalRandom.current().nextLong(ceiling);
    if (attempt == 0) {
      LOG.warn("MQTT link to {} down ({}); reconnecting with back-off", config.brokerUrl(), why);
    }
    attempt++;
    scheduler.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  /**
   * Publishes QoS 1, waiting for a place in the in-flight window (back-pressure on the caller, which is the router
   * thread, never an informer or MQTT thread). Returns false if the message could not be handed to the broker; the
   * edge then sees a sequence gap and resyncs.
   */
  public boolean publish(String topic, byte[] payload) {
    return publish(topic, payload, 0);
  }

  /**
   * As {@link #publish(String, byte[])}, and the broker drops the message if it has not been delivered within
   * {@code expirySeconds} (0: never) — for stream frames, which are worthless once their session has timed out.
   */
  public boolean publish(String topic, byte[] payload, long expirySeconds) {
    if (!connected) {
      return false;
    }
    Semaphore permits = window;
    try {
      if (!permits.tryAcquire(30, TimeUnit.SECONDS)) {
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    try {
      MqttProperties properties = new MqttProperties(); // as Paho's own publish(topic, payload, ...) sets them
      if (expirySeconds > 0) {
        properties.setMessageExpiryInterval(expirySeconds);
      }
      MqttMessage message = new MqttMessage(payload, 1, false, properties);
      MqttAsyncClient connection = client;
      if (connection == null) {
        throw new MqttException(org.eclipse.paho.mqttv5.client.MqttClientException.REASON_CODE_CLIENT_NOT_CONNECTED);
      }
      connection.publish(topic, message, null, new MqttActionListener() {
        @Override
        public void onSuccess(IMqttToken token) {
          permits.release();
        }

        @Override
        public void onFailure(IMqttToken token, Throwable failure) {
          permits.release();
          metrics.increment("outpost_bridge_publish_failures_total");
        }
      });
      return true;
    } catch (MqttException e) {
      permits.release();
      metrics.increment("outpost_bridge_publish_failures_total");
      LOG.debug("Publish to {} failed: {}", topic, e.getMessage());
      return false;
    }
  }

  /** An upstream message; runs on Paho's callback thread. */
  void messageArrived(String topic, MqttMessage message) {
    String sender = sender(message);
    if (sender == null && config.requireSenderStamp()) {
      // Behind the embedded broker with TLS every publish is stamped: one without came from elsewhere (a Will, a
      // retained message from a plain-TCP past) and no authenticated node vouches for it.
      metrics.increment("outpost_bridge_rejected_total", "reason", "unstamped");
      LOG.warn("Rejected a message on {}: no authenticated sender (unstamped)", topic);
      return;
    }
    if (sender != null) {
      // A broker that authenticates clients (the embedded one) stamps every publish with its sender: it must be
      // the node the topic names. (Behind Mosquitto the ACL ensures the same; no stamp arrives.)
      String node = io.outpost.protocol.Topics.parseUp(topic).map(io.outpost.protocol.Topics.UpTopic::node)
          .orElse(null);
      if (node != null && !sender.equals(node)) {
        metrics.increment("outpost_bridge_rejected_total", "reason", "spoofed_sender");
        LOG.warn("Rejected a message on {} sent by {}: the topic names another node (spoofed_sender)", topic,
            sender);
        return;
      }
    }
    byte[] payload = message.getPayload();
    onUpstream.accept(topic, payload); // only enqueues onto the bridge's per-node queues
  }

  /** The authenticated sender the broker stamped on the message ({@code outpost-sender}), or null. */
  static String sender(MqttMessage message) {
    if (message.getProperties() == null || message.getProperties().getUserProperties() == null) {
      return null;
    }
    return message.getProperties().getUserProperties().stream().filter(p -> SENDER.equals(p.getKey()))
        .map(org.eclipse.paho.mqttv5.common.packet.UserProperty::getValue).reduce((a, b) -> b).orElse(null);
  }

  /** The user property an authenticating broker puts the sender's identity in. */
  static final String SENDER = "outpost-sender";

  /** Paho's callbacks for one client: its loss is reported with it, so that a discarded client's is ignored. */
  private final class ConnectionCallbacks implements MqttCallback {
    private final MqttAsyncClient connection;

    ConnectionCallbacks(MqttAsyncClient connection) {
      this.connection = connection;
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
      MqttBridgeLink.this.messageArrived(topic, message);
    }

    @Override
    public void disconnected(MqttDisconnectResponse response) {
      String code = response.getReturnCode() == 0 ? "" : " (reason code " + response.getReturnCode() + ")";
      lost(connection, "disconnected: " + response.getReasonString() + code);
    }

    @Override
    public void mqttErrorOccurred(MqttException exception) {
      LOG.warn("MQTT error: {}", exception.getMessage());
    }

    @Override
    public void deliveryComplete(IMqttToken token) {
      // Completion is tracked per publish through its listener.
    }

    @Override
    public void connectComplete(boolean reconnect, String serverUri) {
      // Subscription follows the connect token's success.
    }

    @Override
    public void authPacketArrived(int reasonCode, MqttProperties properties) {
      // No enhanced authentication.
    }
  }

  @Override
  public void close() {
    closed = true;
    discard();
  }
}
