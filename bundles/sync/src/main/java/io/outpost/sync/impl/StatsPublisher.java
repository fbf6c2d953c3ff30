package io.outpost.sync.impl;

import io.outpost.containers.ResourceUsage;
import io.outpost.protocol.Codec;
import io.outpost.protocol.StatsReport;
import io.outpost.protocol.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the node's resource usage ({@link StatsReport} on {@code up/stats}) every {@code stats.interval.seconds}
 * while the link is up, for the bridge's kubelet {@code /stats/summary} and {@code /metrics/resource}. Sampling asks
 * the engine once per container, so it runs on its own thread ({@code outpost-sync-stats}), never on the sync
 * thread; the publish itself is handed to the sync thread. Disposable telemetry: QoS 0, nothing kept while offline
 * (a report from before a disconnect is worth nothing after it), a report that cannot be made or is over the message
 * size limit is skipped and counted, and the next one follows at the next interval.
 */
final class StatsPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StatsPublisher.class);

  private final String node;
  private final Duration interval;
  private final Codec codec;
  private final Supplier<ResourceUsage> usage;
  private final BooleanSupplier linkUp;
  private final Executor syncThread;
  private final Publish publish;
  private final ScheduledExecutorService sampler;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  /** The last failure's reason, logged once until a report goes out again. */
  private volatile String failing;

  /** Hands one encoded report to the link; false if it was not sent. */
  interface Publish {
    boolean send(String topic, byte[] payload);
  }

  /** {@code interval} zero: nothing is ever sent. */
  StatsPublisher(String node, Duration interval, Codec codec, Supplier<ResourceUsage> usage, BooleanSupplier linkUp,
      Executor syncThread, Publish publish) {
    this.node = node;
    this.interval = interval;
    this.codec = codec;
    this.usage = usage;
    this.linkUp = linkUp;
    this.syncThread = syncThread;
    this.publish = publish;
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread thread = new Thread(r, "outpost-sync-stats");
      thread.setDaemon(true);
      return thread;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.sampler = executor;
  }

  void start() {
    if (!interval.isZero()) {
      sampler.scheduleWithFixedDelay(this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** One round: sample and send if the link is up and the container manager runs. */
  void tick() {
    ResourceUsage source = usage.get();
    if (source == null || !linkUp.getAsBoolean()) {
      return;
    }
    byte[] payload;
    try {
      StatsReport report = report(node, source.sample(), Instant.now());
      report.validate(); // the bridge would refuse the whole report: better to say so here
      payload = codec.encode(report);
    } catch (RuntimeException | io.outpost.protocol.ProtocolException e) {
      // the engine cannot be asked, /proc is unreadable, a figure is out of shape, or over max.message.bytes
      skipped.incrementAndGet();
      if (!e.toString().equals(failing)) {
        failing = e.toString();
        LOG.warn("Resource usage not sent (the next try is in {} s): {}", interval.toSeconds(), e.getMessage());
      }
      return;
    }
    syncThread.execute(() -> {
      if (publish.send(Topics.up(node, Topics.Up.STATS), payload)) {
        sent.incrementAndGet();
        if (failing != null) {
          LOG.info("Resource usage sent again");
          failing = null;
        }
      } else {
        skipped.incrementAndGet();
      }
    });
  }

  /** The sample as the wire carries it. */
  static StatsReport report(String node, ResourceUsage.Snapshot snapshot, Instant now) {
    ResourceUsage.NodeUsage n = snapshot.node();
    StatsReport.NodeUsage nodeUsage = new StatsReport.NodeUsage(n.time().toString(), text(n.bootTime()),
        n.cpuCoreNanos(), n.memoryWorkingSetBytes(), n.memoryUsageBytes(), n.memoryAvailableBytes(), n.fsUsedBytes(),
        n.fsCapacityBytes(), n.fsAvailableBytes(), n.networkRxBytes(), n.networkTxBytes());
    List<StatsReport.PodUsage> pods = snapshot.pods().stream()
        .filter(pod -> pod.namespace() != null && !pod.namespace().isEmpty() && !pod.containers().isEmpty())
        .limit(StatsReport.MAX_PODS).map(pod ->
        new StatsReport.PodUsage(pod.namespace(), pod.name(), pod.uid(), text(pod.startTime()), pod.containers()
            .stream().limit(StatsReport.MAX_CONTAINERS).map(c -> new StatsReport.ContainerUsage(c.name(),
                text(c.startTime()), c.time().toString(), c.cpuCoreNanos(), c.memoryWorkingSetBytes(),
                c.memoryUsageBytes())).toList())).toList();
    return new StatsReport(Codec.VERSION, node, now.toString(), nodeUsage, pods);
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }

  long sent() {
    return sent.get();
  }

  long skipped() {
    return skipped.get();
  }

  @Override
  public void close() {
    sampler.shutdownNow();
  }
}
