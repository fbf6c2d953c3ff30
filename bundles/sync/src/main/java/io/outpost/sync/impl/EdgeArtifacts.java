package io.outpost.sync.impl;

import io.outpost.protocol.ArtifactChunk;
import io.outpost.protocol.ArtifactRequest;
import io.outpost.protocol.Codec;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.RolloutReport;
import io.outpost.protocol.Topics;
import io.outpost.sync.ArtifactChannel;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ArtifactChannel} of the node, kept by the sync component across link restarts (a configuration change
 * makes a new {@link EdgeSync}, which attaches itself as the current {@link Port}). Chunks that arrive are decoded
 * here; malformed ones are refused, logged and counted.
 */
final class EdgeArtifacts implements ArtifactChannel {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeArtifacts.class);

  /** How the current link publishes: on its own thread, only while a bridge listens; false if it cannot now. */
  interface Port {
    String node();

    boolean publish(Topics.Up channel, byte[] payload);
  }

  private final Codec codec = new Codec();
  private final Clock clock;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong refused = new AtomicLong();
  private volatile Port port;
  private volatile Progress last;

  EdgeArtifacts(Clock clock) {
    this.clock = clock;
  }

  /**
   * A port publishing on {@code link} from {@code syncThread}, only while the link is connected and
   * {@code bridgeListening} (read on the sync thread) holds.
   */
  static Port over(String node, MqttLink link, java.util.concurrent.Executor syncThread,
      java.util.function.BooleanSupplier bridgeListening) {
    return new Port() {
      @Override
      public String node() {
        return node;
      }

      @Override
      public boolean publish(Topics.Up channel, byte[] payload) {
        if (!link.isConnected()) {
          return false;
        }
        syncThread.execute(() -> {
          if (link.isConnected() && bridgeListening.getAsBoolean()) {
            link.publish(Topics.up(node, channel), payload, null);
          }
        });
        return true;
      }
    };
  }

  void attach(Port current) {
    this.port = current;
  }

  @Override
  public boolean request(String sha256, int chunkSize, List<Integer> indices) {
    Port with = port;
    return with != null && with.publish(Topics.Up.ARTIFACT,
        codec.encode(ArtifactRequest.of(with.node(), sha256, chunkSize, indices)));
  }

  @Override
  public void report(Progress progress) {
    last = progress;
    send(progress);
  }

  private void send(Progress progress) {
    Port with = port;
    if (with == null || progress == null) {
      return;
    }
    RolloutReport report = new RolloutReport(Codec.VERSION, with.node(), clock.instant().toString(),
        progress.rollout(), progress.name(), progress.version(), progress.sha256(), progress.state(),
        progress.reason(), progress.received(), progress.chunks());
    try {
      report.validate();
    } catch (ProtocolException e) {
      LOG.warn("Rollout progress not reported, it is not valid: {}", e.getMessage());
      return;
    }
    with.publish(Topics.Up.ROLLOUT, codec.encode(report));
  }

  @Override
  public AutoCloseable listen(Listener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** A payload on the node's artifact topic (MQTT callback thread). */
  void arrived(byte[] payload) {
    ArtifactChunk chunk;
    try {
      chunk = ArtifactChunk.decode(payload);
    } catch (ProtocolException e) {
      refused.incrementAndGet();
      LOG.warn("Rejected an artifact chunk ({}): {}", e.reason().label(), e.getMessage());
      return;
    }
    listeners.forEach(listener -> listener.chunk(chunk));
  }

  /** A bridge listens again: the newest report goes out again, listeners may ask again. Sync thread. */
  void bridgeUp() {
    send(last);
    listeners.forEach(Listener::linkUp);
  }

  long refused() {
    return refused.get();
  }
}
