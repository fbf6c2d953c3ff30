package io.outpost.sync.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Message;
import io.outpost.protocol.Topics;
import io.outpost.store.Outbox;
import io.outpost.store.OutboxEntry;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the store's three outboxes (pod statuses, device statuses, events) over the link: at most
 * {@code BATCH} of each kind unacknowledged, all together within the broker's in-flight budget
 * ({@link MqttLink#outboxWindow}); an entry leaves the store on the broker's PUBACK. Confined to the sync's executor.
 */
final class OutboxPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxPublisher.class);
  private static final int BATCH = 64;

  private final String node;
  private final SyncStore store;
  private final MqttLink link;
  private final Codec codec;
  private final Executor executor;
  private final Counters rejected;
  private final BooleanSupplier ready;
  private final Set<String> statuses = new HashSet<>();
  private final Set<String> events = new HashSet<>();
  private final Set<String> devices = new HashSet<>();

  OutboxPublisher(String node, SyncStore store, MqttLink link, Codec codec, Executor executor, Counters rejected,
      BooleanSupplier ready) {
    this.node = node;
    this.store = store;
    this.link = link;
    this.codec = codec;
    this.executor = executor;
    this.rejected = rejected;
    this.ready = ready;
  }

  /** Forgets what was in flight on a connection that is gone: its owner sends it again. */
  void reset() {
    statuses.clear();
    events.clear();
    devices.clear();
  }

  /**
   * Sends undelivered pod statuses, device statuses and events — in that order of precedence when the in-flight
   * budget is short; nothing while {@code ready} (link up, bridge listening) is false.
   */
  void drain() {
    if (!ready.getAsBoolean()) {
      return;
    }
    drain(store.podStatuses(), statuses, Topics.Up.STATUS);
    drain(store.deviceStatuses(), devices, Topics.Up.DEVICE);
    drain(store.events(), events, Topics.Up.EVENT);
  }

  private <T extends Message> void drain(Outbox<T> from, Set<String> inFlightOfKind, Topics.Up channel) {
    for (OutboxEntry<T> entry : from.pending(BATCH + inFlightOfKind.size())) {
      publishTracked(inFlightOfKind, entry.id(), channel, entry.report(), () -> from.delivered(entry));
    }
  }

  /**
   * Publishes one outbox entry unless it is in flight or {@code BATCH} of its kind are; on the broker's PUBACK
   * {@code delivered} removes it from the store and the next ones follow.
   */
  private void publishTracked(Set<String> inFlightOfKind, String id, Topics.Up channel, Message message,
      Runnable delivered) {
    if (inFlightOfKind.size() >= BATCH
        || statuses.size() + events.size() + devices.size() >= link.outboxWindow()
        || inFlightOfKind.contains(id)) {
      return;
    }
    byte[] payload;
    try {
      payload = codec.encode(message);
    } catch (IllegalArgumentException e) {
      // Larger than max.message.bytes: it can never be sent, and kept it would hold a place of the outbox forever.
      rejected.increment("oversized");
      LOG.error("Dropped an undeliverable {} from the outbox: {} (raise max.message.bytes)", channel, e.getMessage());
      delivered.run();
      return;
    }
    inFlightOfKind.add(id);
    link.publish(Topics.up(node, channel), payload, new MqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        executor.execute(() -> {
          inFlightOfKind.remove(id);
          delivered.run();
          drain();
        });
      }

      @Override
      public void onFailure(IMqttToken token, Throwable failure) {
        executor.execute(() -> inFlightOfKind.remove(id));
      }
    });
  }
}
