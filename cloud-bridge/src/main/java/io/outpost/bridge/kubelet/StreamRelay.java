package io.outpost.bridge.kubelet;

import io.outpost.bridge.config.FairShares;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.metrics.Refusals;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.Topics;
import io.outpost.protocol.stream.FlowControl;
import io.outpost.protocol.stream.SequenceCheck;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamFrame.Type;
import io.outpost.protocol.stream.StreamRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge end of stream sessions: one per kubectl logs/exec/port-forward connection, relayed to the pod's node
 * over MQTT. Frames towards nodes leave in order on one thread (the MQTT in-flight window may make it wait; no
 * Netty or MQTT callback thread ever does). Towards the pod, at most one window of client bytes is held per
 * session: beyond it the client connection stops being read ({@link Listener#pause}) until the node gives credit.
 * A session ends, freeing everything, when the client goes, the node ends it, the node is silent for three
 * keep-alive periods, or the bridge's MQTT link is down.
 */
final class StreamRelay implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamRelay.class);
  static final int MAX_SESSIONS = 256;

  /** What the client side (an HTTP or SPDY connection) is told; called on MQTT or relay threads, never blocking. */
  interface Listener {
    /**
     * Bytes from the pod; the listener calls {@link Session#consumed} once they are written to the client, which
     * is what gives the node credit to send more.
     */
    void data(int channel, byte[] bytes);

    /** The session is over; called once. */
    void ended(StreamEnd end);

    /** Stop ({@code true}) or resume reading from the client: the node has no room for more. */
    default void pause(boolean paused) { }
  }

  interface Publisher {
    /** Publishes QoS 1, blocking for the in-flight window; false if the broker could not be given the message. */
    boolean publish(String topic, byte[] payload);
  }

  private final Publisher publisher;
  private final BooleanSupplier linkUp;
  private final Metrics metrics;
  private final Duration keepalive;
  private final Map<UUID, Session> sessions = new ConcurrentHashMap<>();
  private final StreamShares shares;
  private final Refusals refusals;
  private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
    Thread thread = new Thread(r, "outpost-bridge-streams");
    thread.setDaemon(true);
    return thread;
  });

  StreamRelay(Publisher publisher, BooleanSupplier linkUp, Metrics metrics, Duration keepalive) {
    this(publisher, linkUp, metrics, keepalive, FairShares.DEFAULTS);
  }

  StreamRelay(Publisher publisher, BooleanSupplier linkUp, Metrics metrics, Duration keepalive, FairShares shares) {
    this.shares = new StreamShares(MAX_SESSIONS, shares.streamsPerNode(), shares.streamsPerUser());
    this.refusals = new Refusals(metrics, LOG, System::nanoTime);
    this.publisher = publisher;
    this.linkUp = linkUp;
    this.metrics = metrics;
    this.keepalive = keepalive;
    metrics.gauge("outpost_bridge_stream_sessions", sessions::size);
  }

  /** Opens a session to {@code node} for an unnamed caller; the listener hears everything from here on. */
  Session open(String node, StreamRequest request, Listener listener) {
    return open(new KubeletHandler.Target(node, request.podUid()), request, listener);
  }

  /**
   * Opens a session to the target's node for the target's user, within the relay's shares: at most
   * {@link #MAX_SESSIONS} in all, {@link FairShares#streamsPerNode} per node, {@link FairShares#streamsPerUser} per
   * user; beyond them the session fails at once with 429 and a reason ({@code outpost_bridge_stream_refused_total}).
   */
  Session open(KubeletHandler.Target target, StreamRequest request, Listener listener) {
    Session session = new Session(UUID.randomUUID(), target.node(), target.user(), request, listener);
    if (!linkUp.getAsBoolean()) {
      refuse(session, 503, "link_down", "the bridge is not connected to the MQTT broker");
      return session;
    }
    String refusal = shares.admit(session.node, session.user);
    if (refusal != null) {
      refuse(session, 429, refusal, shares.message(refusal, session.node, session.user));
      return session;
    }
    sessions.put(session.id, session);
    metrics.increment("outpost_bridge_streams_total", "kind", request.kind());
    LOG.info("Stream {} to node {} opened for {} ({})", request.describe(), session.node, session.user, session.id);
    session.frame(Type.OPEN, 0, request.encode());
    return session;
  }

  private void refuse(Session session, int code, String reason, String message) {
    refusals.refuse(reason + " " + session.node + " " + session.user, "Refused a " + session.request.kind()
        + " stream to node " + session.node + " for " + session.user + ": " + message,
        "outpost_bridge_stream_refused_total", "reason", reason);
    session.fail(code, message);
  }

  private void release(Session session) {
    if (sessions.remove(session.id) != null) {
      shares.release(session.node, session.user);
    }
  }

  /** A frame from a node's {@code up/stream} topic (MQTT callback thread). */
  void receive(String node, byte[] payload) {
    StreamFrame frame;
    try {
      frame = StreamFrame.decode(payload);
    } catch (ProtocolException e) {
      reject(e.reason().label(), node, e.getMessage());
      return;
    }
    Session session = sessions.get(frame.session());
    if (session == null) {
      return; // ended here already (the client went): the node hears our END, or stops at its keep-alive limit
    }
    if (!session.node.equals(node)) {
      reject("spoofed_stream", node, "frame for a session with node " + session.node);
      return;
    }
    session.receive(frame);
  }

  /** PINGs for idle sessions; ends those whose node went silent, or all while the MQTT link is down. */
  void tick() {
    long now = System.nanoTime();
    boolean up = linkUp.getAsBoolean();
    for (Session session : sessions.values()) {
      if (!up) {
        session.fail(503, "the bridge lost its MQTT connection");
      } else if (now - session.lastReceived > keepalive.toNanos() * 3) {
        session.fail(503, "node " + session.node + " did not answer for " + keepalive.multipliedBy(3).toSeconds()
            + " s (offline?)");
      } else if (now - session.lastSent > keepalive.toNanos()) {
        session.frame(Type.PING, 0, new byte[0]);
      }
    }
  }

  int open() {
    return sessions.size();
  }

  @Override
  public void close() {
    sessions.values().forEach(session -> session.fail(503, "the bridge is stopping"));
    sender.shutdown();
    try { // the sessions' ENDs leave before the MQTT link closes
      sender.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void reject(String reason, String node, String message) {
    metrics.increment("outpost_bridge_rejected_total", "reason", reason);
    LOG.warn("Rejected stream frame from {}: {}", node, message);
  }

  /** One relayed stream. Thread-safe. */
  final class Session {
    private final UUID id;
    private final String node;
    private final String user;
    private final StreamRequest request;
    private final Listener listener;
    private final SequenceCheck sequence = new SequenceCheck();
    private final FlowControl flow = new FlowControl();
    /** Client bytes waiting for credit; with {@code queued}, guarded by {@code this}. */
    private final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
    private int queued;
    private boolean paused;
    private volatile boolean ended;
    private volatile long lastReceived = System.nanoTime();
    private volatile long lastSent = System.nanoTime();

    Session(UUID id, String node, String user, StreamRequest request, Listener listener) {
      this.id = id;
      this.node = node;
      this.user = user;
      this.request = request;
      this.listener = listener;
    }

    /** Client bytes towards the pod; sent while there is credit, queued (and the client paused) beyond it. */
    void send(byte[] bytes) {
      for (int at = 0; at < bytes.length; at += StreamFrame.MAX_DATA) {
        byte[] chunk = java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + StreamFrame.MAX_DATA));
        synchronized (this) {
          if (ended) {
            return;
          }
          if (waiting.isEmpty() && flow.trySend(chunk.length)) {
            frame(Type.DATA, StreamFrame.IN, chunk);
          } else {
            waiting.add(chunk);
            queued += chunk.length;
          }
        }
      }
      pauseIfFull();
    }

    private void pauseIfFull() {
      boolean pause;
      synchronized (this) {
        pause = !paused && queued >= FlowControl.WINDOW;
        paused |= pause;
      }
      if (pause) {
        listener.pause(true);
      }
    }

    /** The client will send nothing more towards the pod (stdin closed, connection half-closed). */
    void endInput() {
      synchronized (this) {
        if (waiting.isEmpty()) {
          frame(Type.EOF, StreamFrame.IN, new byte[0]);
        } else {
          waiting.add(new byte[0]); // an empty chunk marks EOF behind the queued data
        }
      }
    }

    void resize(int width, int height) {
      frame(Type.RESIZE, 0, StreamFrame.resize(id, 0, width, height).payload());
    }

    /** {@code bytes} from the pod have been written to the client: the node may send that much more. */
    void consumed(int bytes) {
      int grant = flow.consumed(bytes);
      if (grant > 0 && !ended) {
        frame(Type.CREDIT, 0, StreamFrame.credit(id, 0, grant).payload());
      }
    }

    /** The client went or gave up: the node is told and the session freed. */
    void close() {
      if (finish()) {
        frame(Type.END, 0, StreamEnd.error(499, "the client closed the stream").encode());
      }
    }

    void fail(int code, String message) {
      if (finish()) {
        LOG.info("Stream {} on node {} failed: {}", request.describe(), node, message);
        frame(Type.END, 0, StreamEnd.error(code, message).encode());
        listener.ended(StreamEnd.error(code, message));
      }
    }

    private boolean finish() {
      boolean resume;
      synchronized (this) {
        if (ended) {
          return false;
        }
        ended = true;
        waiting.clear();
        queued = 0;
        resume = paused;
        paused = false;
      }
      flow.close();
      release(this);
      if (resume) { // the client connection may carry other sessions (port-forward): it is read again
        listener.pause(false);
      }
      return true;
    }

    private void receive(StreamFrame frame) {
      lastReceived = System.nanoTime();
      if (frame.type() == Type.END) { // taken whatever its number: an END may follow a loss
        StreamEnd end;
        try {
          end = StreamEnd.decode(frame.payload());
        } catch (ProtocolException e) {
          reject(e.reason().label(), node, e.getMessage());
          end = StreamEnd.error(502, "node " + node + " ended the stream with an unreadable status");
        }
        if (finish()) {
          listener.ended(end);
        }
        return;
      }
      switch (sequence.accept(frame.seq())) {
        case DUPLICATE -> {
          return;
        }
        case GAP -> {
          reject("stream_gap", node, "session " + id + ": frame " + frame.seq() + " arrived out of order");
          fail(502, "a frame from node " + node + " was lost");
          return;
        }
        default -> { }
      }
      switch (frame.type()) {
        case DATA -> {
          if (!flow.received(frame.payload().length)) {
            reject("stream_credit", node, "session " + id + ": the node sent beyond its credit");
            fail(502, "node " + node + " broke the stream's flow control");
            return;
          }
          listener.data(frame.channel(), frame.payload());
        }
        case CREDIT -> {
          flow.granted(frame.credit());
          drain();
        }
        case PING -> { }
        default -> reject("invalid", node, "unexpected " + frame.type() + " frame from a node");
      }
    }

    /** Sends queued client bytes the new credit covers, and resumes the client once the queue is short again. */
    private void drain() {
      boolean resume;
      synchronized (this) {
        while (!waiting.isEmpty() && !ended) {
          byte[] next = waiting.peek();
          if (next.length == 0) {
            waiting.poll();
            frame(Type.EOF, StreamFrame.IN, next);
            continue;
          }
          if (!flow.trySend(next.length)) {
            break;
          }
          waiting.poll();
          queued -= next.length;
          frame(Type.DATA, StreamFrame.IN, next);
        }
        resume = paused && queued < FlowControl.WINDOW / 2;
        paused &= !resume;
      }
      if (resume) {
        listener.pause(false);
      }
    }

    /** Numbers the frame now (in call order) and sends it on the relay's thread. */
    private void frame(Type type, int channel, byte[] payload) {
      lastSent = System.nanoTime();
      byte[] encoded;
      synchronized (sequence) {
        encoded = new StreamFrame(type, id, sequence.next(), channel, payload).encode();
        try {
          sender.execute(() -> {
            if (!publisher.publish(Topics.stream(node), encoded) && type != Type.END) {
              fail(503, "the bridge could not hand the stream to the MQTT broker");
            }
          });
        } catch (java.util.concurrent.RejectedExecutionException e) {
          LOG.debug("Stream frame not sent: the relay has stopped");
        }
      }
    }
  }
}
