package io.outpost.sync.impl;

import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.stream.FlowControl;
import io.outpost.containers.PodStreams;
import io.outpost.containers.PodStreams.PodStream;
import io.outpost.protocol.stream.SequenceCheck;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import io.outpost.protocol.stream.StreamFrame.Type;
import io.outpost.protocol.stream.StreamRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge end of stream sessions (kubectl logs/exec/port-forward relayed by the bridge). Frames arrive on the
 * node's {@code stream} topic and are checked (format, sequence, credit); each session has one thread that passes
 * the bridge's bytes to the pod, and the container manager's {@link PodStreams} reads the pod's bytes, which leave
 * only as far as the bridge has given credit. A session ends, and frees its engine connection, thread and buffers,
 * when either side ends it, when the bridge is silent for {@code 3 x keepalive} (it vanished), or when the MQTT
 * link is down (frames would be lost).
 */
final class EdgeStreams {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeStreams.class);
  /** Open sessions per node; more are refused (429). */
  static final int MAX_SESSIONS = 32;
  /** Ended sessions remembered, so that a redelivered OPEN does not run its command again. */
  private static final int REMEMBERED = 1024;

  interface Publisher {
    /** Publishes QoS 1 on the node's {@code up/stream} topic; {@code done} gets whether the broker took it. */
    void publish(byte[] payload, java.util.function.Consumer<Boolean> done);
  }

  private final String node;
  private final Publisher publisher;
  private final Supplier<PodStreams> podStreams;
  private final BooleanSupplier linkUp;
  private final Counters rejected;
  private final Duration keepalive;
  private final Map<UUID, Session> sessions = new ConcurrentHashMap<>();
  private final Semaphore inFlight = new Semaphore(MqttLink.STREAM_WINDOW);
  /** The last {@link #REMEMBERED} sessions that ended here, oldest first. */
  private final Map<UUID, Boolean> endedSessions = new java.util.LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<UUID, Boolean> eldest) {
      return size() > REMEMBERED;
    }
  };

  EdgeStreams(String node, Publisher publisher, Supplier<PodStreams> podStreams, BooleanSupplier linkUp,
      Counters rejected, Duration keepalive) {
    this.node = node;
    this.publisher = publisher;
    this.podStreams = podStreams;
    this.linkUp = linkUp;
    this.rejected = rejected;
    this.keepalive = keepalive;
  }

  int open() {
    return sessions.size();
  }

  /** A frame from the bridge; never blocks (runs on the MQTT callback thread). */
  void receive(byte[] payload) {
    StreamFrame frame;
    try {
      frame = StreamFrame.decode(payload);
    } catch (ProtocolException e) {
      reject(e.reason().label(), e.getMessage());
      return;
    }
    Session session = sessions.get(frame.session());
    if (frame.type() == Type.OPEN) {
      if (session == null && !recentlyEnded(frame.session())) {
        open(frame);
      } // else: a redelivered OPEN, or one for a session over already — its command must not run again
      return;
    }
    if (session == null) {
      if (frame.type() != Type.END && !recentlyEnded(frame.session())) {
        // A session this node does not know (it restarted, or ended it already): tell the bridge (an END is
        // taken whatever its sequence number).
        send(frame.session(), new SequenceCheck(), Type.END, 0,
            StreamEnd.error(503, "no such stream session on node " + node).encode(), false);
      }
      return;
    }
    session.receive(frame);
  }

  private void open(StreamFrame frame) {
    SequenceCheck sequence = new SequenceCheck();
    if (sequence.accept(frame.seq()) != SequenceCheck.Result.NEXT) {
      reject("invalid", "stream session " + frame.session() + " opened with sequence " + frame.seq());
      return;
    }
    StreamRequest request;
    try {
      request = StreamRequest.decode(frame.payload());
    } catch (ProtocolException e) {
      reject(e.reason().label(), e.getMessage());
      send(frame.session(), sequence, Type.END, 0, StreamEnd.error(400, e.getMessage()).encode(), false);
      remember(frame.session());
      return;
    }
    if (sessions.size() >= MAX_SESSIONS) {
      send(frame.session(), sequence, Type.END, 0, StreamEnd.error(429, "node " + node + " already serves "
          + MAX_SESSIONS + " streams").encode(), false);
      remember(frame.session());
      return;
    }
    Session session = new Session(frame.session(), request, sequence);
    sessions.put(frame.session(), session);
    session.start();
  }

  /** Sends PINGs for idle sessions and ends those whose bridge went silent, or all of them when the link is down. */
  void tick() {
    long now = System.nanoTime();
    boolean up = linkUp.getAsBoolean();
    for (Session session : sessions.values()) {
      if (!up) {
        session.abort("the MQTT link is down", false);
      } else if (now - session.lastReceived > keepalive.toNanos() * 3) {
        session.abort("the bridge has been silent for " + keepalive.multipliedBy(3).toSeconds() + " s", true);
      } else if (now - session.lastSent > keepalive.toNanos()) {
        session.frame(Type.PING, 0, new byte[0], false);
      }
    }
  }

  /** Ends every session (the sync stops). */
  void close() {
    sessions.values().forEach(session -> session.abort("the node's sync is stopping", true));
  }

  private void reject(String reason, String message) {
    rejected.increment(reason);
    LOG.warn("Rejected stream frame: {}", message);
  }

  /** Whether a session with this id ended here lately (its OPEN may be redelivered, its frames still arrive). */
  private boolean recentlyEnded(UUID id) {
    synchronized (endedSessions) {
      return endedSessions.containsKey(id);
    }
  }

  private void remember(UUID id) {
    synchronized (endedSessions) {
      endedSessions.put(id, Boolean.TRUE);
    }
  }

  /**
   * Publishes one frame; false if it could not be sent. {@code wait}: wait for a place among the in-flight
   * publishes (a session's own threads); otherwise (the MQTT callback thread, which completes publishes and so
   * frees those places, and the sync's timer) a frame that finds no place is dropped — a PING or an END, which the
   * peer's silence timeout makes up for.
   */
  private boolean send(UUID id, SequenceCheck sequence, Type type, int channel, byte[] payload, boolean wait) {
    try {
      if (wait ? !inFlight.tryAcquire(keepalive.toMillis() * 3, TimeUnit.MILLISECONDS) : !inFlight.tryAcquire()) {
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    AtomicBoolean released = new AtomicBoolean();
    // Numbered and handed to the MQTT client under one lock: a session's reader and writer threads both send, and
    // the broker must see the frames in the order of their numbers.
    synchronized (sequence) {
      publisher.publish(new StreamFrame(type, id, sequence.next(), channel, payload).encode(), ok -> {
        if (released.compareAndSet(false, true)) {
          inFlight.release();
        }
        Session session = ok ? null : sessions.get(id);
        if (session != null) { // a lost frame would be a gap for the bridge: end the session now
          session.abort("the MQTT client could not take a frame", false);
        }
      });
    }
    return true;
  }

  /** One session: its request, sequence numbers, credit and the frames from the bridge waiting for the pod. */
  private final class Session implements PodStreams.StreamOutput {
    private final UUID id;
    private final StreamRequest request;
    private final SequenceCheck sequence;
    private final FlowControl flow = new FlowControl();
    private final BlockingQueue<StreamFrame> inbound = new LinkedBlockingQueue<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile PodStream stream;
    private volatile long lastReceived = System.nanoTime();
    private volatile long lastSent = System.nanoTime();

    Session(UUID id, StreamRequest request, SequenceCheck sequence) {
      this.id = id;
      this.request = request;
      this.sequence = sequence;
    }

    void start() {
      Thread thread = new Thread(this::run, "outpost-stream-" + id.toString().substring(0, 8));
      thread.setDaemon(true);
      thread.start();
    }

    /** Opens the pod's stream, then passes the bridge's frames to it in order until the session ends. */
    private void run() {
      if (ended.get()) { // the bridge ended it before it was opened (an OPEN and END delivered together)
        return;
      }
      PodStreams target = podStreams.get();
      if (target == null) {
        end(StreamEnd.error(503, "the container manager is not running on node " + node));
        return;
      }
      try {
        stream = target.open(request, this);
      } catch (PodStreams.StreamException e) {
        LOG.info("Refused {}: {}", request.describe(), e.getMessage());
        end(StreamEnd.error(e.code(), e.getMessage()));
        return;
      } catch (RuntimeException e) {
        LOG.warn("Opening {} failed", request.describe(), e);
        end(StreamEnd.error(500, request.describe() + ": " + e));
        return;
      }
      if (StreamRequest.LOGS.equals(request.kind())) {
        frame(Type.DATA, StreamFrame.OUT, new byte[0], true); // the log is open: the bridge answers 200 at once
      }
      try {
        while (!ended.get()) {
          StreamFrame frame = inbound.poll(keepalive.toMillis(), TimeUnit.MILLISECONDS);
          if (frame != null) {
            toPod(frame);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException e) {
        end(StreamEnd.error(503, request.describe() + ": writing to the pod failed: " + e.getMessage()));
      } finally {
        closeStream();
      }
    }

    private void toPod(StreamFrame frame) throws IOException {
      switch (frame.type()) {
        case DATA -> {
          stream.write(frame.payload(), 0, frame.payload().length);
          int grant = flow.consumed(frame.payload().length);
          if (inbound.isEmpty()) {
            grant += flow.flush();
          }
          if (grant > 0 && !frame(Type.CREDIT, 0, java.nio.ByteBuffer.allocate(4).putInt(grant).array(), true)) {
            // Credit that never arrives would shrink the bridge's window for good.
            throw new IOException("the MQTT link cannot take the stream's credit");
          }
        }
        case EOF -> stream.closeInput();
        case RESIZE -> stream.resize(frame.width(), frame.height());
        default -> throw new IllegalStateException("not queued: " + frame.type());
      }
    }

    void receive(StreamFrame frame) {
      lastReceived = System.nanoTime();
      if (frame.type() == Type.END) { // ends the session whatever its number: an END may follow a loss
        abort("the bridge ended it", false);
        return;
      }
      switch (sequence.accept(frame.seq())) {
        case DUPLICATE -> {
          return;
        }
        case GAP -> {
          reject("stream_gap", "stream session " + id + ": frame " + frame.seq() + " arrived out of order");
          abort("a frame from the bridge was lost", true);
          return;
        }
        default -> { }
      }
      switch (frame.type()) {
        case CREDIT -> flow.granted(frame.credit());
        case PING -> { }
        case DATA -> {
          if (!flow.received(frame.payload().length)) {
            reject("stream_credit", "stream session " + id + ": the bridge sent beyond its credit");
            abort("the bridge sent beyond its credit", true);
            return;
          }
          inbound.add(frame);
        }
        default -> inbound.add(frame);
      }
    }

    @Override
    public void write(int channel, byte[] data, int offset, int length) throws IOException {
      for (int at = offset; at < offset + length; at += StreamFrame.MAX_DATA) {
        int size = Math.min(StreamFrame.MAX_DATA, offset + length - at);
        try {
          // A client that stops reading (kubectl logs -f into a paused pager) holds the stream, as a kubelet's
          // would; the session's keep-alive still ends it if the bridge or the client goes.
          while (!flow.awaitSend(size, keepalive.toMillis())) {
            if (ended.get()) {
              throw new IOException("the session ended");
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
        if (!frame(Type.DATA, channel, java.util.Arrays.copyOfRange(data, at, at + size), true)) {
          throw new IOException("the MQTT link cannot take the stream's data");
        }
      }
    }

    @Override
    public void end(StreamEnd end) {
      if (ended.compareAndSet(false, true)) {
        frame(Type.END, 0, end.encode(), true);
        finish();
      }
    }

    /** Ends the session from this side: tells the bridge (if it can still hear) and frees everything. */
    void abort(String why, boolean tellBridge) {
      if (ended.compareAndSet(false, true)) {
        LOG.info("Stream {} ended: {}", request.describe(), why);
        if (tellBridge) {
          frame(Type.END, 0, StreamEnd.error(503, "stream ended on node " + node + ": " + why).encode(), false);
        }
        finish();
      }
    }

    private void finish() {
      remember(id);
      sessions.remove(id);
      flow.close();
      closeStream();
    }

    private void closeStream() {
      PodStream open = stream;
      if (open != null && ended.get()) {
        open.close();
      }
    }

    private boolean frame(Type type, int channel, byte[] payload, boolean wait) {
      lastSent = System.nanoTime();
      return send(id, sequence, type, channel, payload, wait);
    }
  }
}
