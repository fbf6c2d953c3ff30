package io.outpost.devices.impl;

import io.outpost.devices.ProtocolDriver;
import io.outpost.devices.TelemetrySink;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.Topics;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.store.DesiredState;
import io.outpost.store.Outbox;
import io.outpost.store.StoreListener;
import io.outpost.store.StoredDevice;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the twins of every Device bound to this node, from the edge store: the cloud's Devices and DeviceModels
 * arrive there through the sync (whether or not this module is installed), reported values and written desired
 * values are kept there in the device status outbox, which the sync delivers when the link is up. So a node cut off
 * from the cloud keeps reading and writing its devices and reports the newest values when the link returns, and a
 * reinstalled module continues where it stopped.
 *
 * <p>Threads: one scheduler ("outpost-devices") owns the set of runners and their timers; passes run on a small
 * worker pool ("outpost-devices-io-N"), and those of unreachable devices — which may each wait for a driver timeout —
 * on a pool of their own ("outpost-devices-retry-N"), retried with back-off; one device never uses two workers at
 * once. So failing devices never hold up the healthy ones (only a device's first failure, before it is known to be
 * unreachable, takes a worker of the healthy pool for one timeout).
 */
@Component(service = {StoreListener.class, DeviceTwins.class}, immediate = true,
    configurationPid = {DeviceTwins.PID, "io.outpost.node"}, configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class DeviceTwins implements StoreListener {
  private static final Logger LOG = LoggerFactory.getLogger(DeviceTwins.class);
  /** The device module's own configuration PID; the node-wide {@code io.outpost.node} is read after it and wins. */
  static final String PID = "io.outpost.devices";

  private final DesiredState store;
  private final Outbox<DeviceStatusReport> statuses;
  private final DriverRegistry drivers;
  private final String node;
  private final Clock clock = Clock.systemUTC();
  private final ScheduledExecutorService scheduler;
  private final ExecutorService workers;
  /** Passes of unreachable devices, which may each wait for a timeout: they never hold a healthy device's worker. */
  private final ExecutorService retries;
  /** Device uid → its runner and next pass. Only on the scheduler thread. */
  private final Map<String, Scheduled> running = new HashMap<>();
  private final Runnable driversChanged = this::refreshSoon;

  @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
  volatile List<TelemetrySink> sinks;

  /** A runner, its next pass, and whether a pass runs now (then a new trigger only asks for another after it). */
  private static final class Scheduled {
    final DeviceRunner runner;
    final AtomicBoolean busy = new AtomicBoolean();
    final AtomicBoolean again = new AtomicBoolean();
    ScheduledFuture<?> next;

    Scheduled(DeviceRunner runner) {
      this.runner = runner;
    }
  }

  @Activate
  public DeviceTwins(@Reference(name = "desiredState") DesiredState store,
      @Reference(name = "deviceStatuses", target = "(" + Outbox.NAME + "=" + Outbox.DEVICE_STATUS + ")")
      Outbox<DeviceStatusReport> statuses, @Reference(name = "drivers") DriverRegistry drivers,
      DevicesConfig config) {
    this.store = store;
    this.statuses = statuses;
    this.drivers = drivers;
    this.node = Topics.requireNodeName(config.node_name());
    workers(config);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-devices"));
    AtomicInteger count = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(config.devices_workers(),
        r -> new Thread(r, "outpost-devices-io-" + count.incrementAndGet()));
    AtomicInteger retryCount = new AtomicInteger();
    this.retries = Executors.newFixedThreadPool(config.devices_workers(),
        r -> new Thread(r, "outpost-devices-retry-" + retryCount.incrementAndGet()));
    drivers.onChange(driversChanged);
    refreshSoon();
  }

  private static int workers(DevicesConfig config) {
    if (config.devices_workers() < 1 || config.devices_workers() > 64) {
      throw new IllegalArgumentException("devices.workers must be between 1 and 64, was " + config.devices_workers());
    }
    return config.devices_workers();
  }

  /**
   * A changed configuration ({@code io.outpost.devices} or {@code io.outpost.node}): {@code devices.workers} applies
   * live (both pools grow or shrink; passes running keep their thread). A changed {@code node.name} applies when the
   * module is next started (logged); other components' keys leave the devices alone.
   */
  @Modified
  synchronized void modified(DevicesConfig config) {
    int size;
    try {
      size = workers(config);
    } catch (IllegalArgumentException e) {
      LOG.error("Configuration change refused, the device workers stay as they are: {}", e.getMessage());
      return;
    }
    resize((java.util.concurrent.ThreadPoolExecutor) workers, size);
    resize((java.util.concurrent.ThreadPoolExecutor) retries, size);
    if (!node.equals(config.node_name() == null ? null : config.node_name().trim())) {
      LOG.warn("node.name changed to {}: the device module goes on as {} until it is next started",
          config.node_name(), node);
    }
  }

  /** The last status recorded for device {@code uid} (its twins as last read and written), delivered or not. */
  public java.util.Optional<DeviceStatusReport> lastStatus(String uid) {
    return statuses.last(uid);
  }

  /** The pool's size now. */
  int workerCount() {
    return ((java.util.concurrent.ThreadPoolExecutor) workers).getMaximumPoolSize();
  }

  private static void resize(java.util.concurrent.ThreadPoolExecutor pool, int size) {
    if (size > pool.getMaximumPoolSize()) {
      pool.setMaximumPoolSize(size);
      pool.setCorePoolSize(size);
    } else {
      pool.setCorePoolSize(size);
      pool.setMaximumPoolSize(size);
    }
  }

  @Deactivate
  void deactivate() {
    drivers.removeOnChange(driversChanged);
    scheduler.shutdownNow();
    workers.shutdownNow();
    retries.shutdownNow();
    try {
      // Passes end at their driver's timeout at the latest; none may touch the store after this returns.
      if (!workers.awaitTermination(10, TimeUnit.SECONDS) || !retries.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("A device pass did not end within 10 s of stopping");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.info("Device twins stopped; their state stays in the edge store");
  }

  @Override
  public void objectsChanged(Set<String> keys) {
    if (keys.stream().anyMatch(k -> k.startsWith(Downstream.KIND_DEVICE + "/")
        || k.startsWith(Downstream.KIND_DEVICE_MODEL + "/"))) {
      refreshSoon();
    }
  }

  private void refreshSoon() {
    try {
      scheduler.execute(this::refresh);
    } catch (RejectedExecutionException e) {
      LOG.debug("Device twins stopping: refresh skipped");
    }
  }

  /** Starts runners for new Devices, updates changed ones at once (a new desired value), stops removed ones. */
  private void refresh() {
    Map<String, StoredDevice> wanted = new HashMap<>();
    store.devices().forEach(d -> wanted.put(d.ref().uid(), d));
    running.entrySet().removeIf(entry -> {
      if (wanted.containsKey(entry.getKey())) {
        return false;
      }
      if (entry.getValue().next != null) {
        entry.getValue().next.cancel(false);
      }
      DeviceRunner runner = entry.getValue().runner;
      // After any pass in flight (which may wait for a slow device): never on this thread.
      retries.execute(() -> runner.stop(() -> statuses.forget(entry.getKey())));
      LOG.info("Device {} no longer on this node", entry.getValue().runner.device().ref().key());
      return true;
    });
    for (StoredDevice device : wanted.values()) {
      Scheduled scheduled = running.get(device.ref().uid());
      if (scheduled == null) {
        scheduled = new Scheduled(new DeviceRunner(node, clock, device, statuses.last(device.ref().uid())));
        running.put(device.ref().uid(), scheduled);
        LOG.info("Serving Device {} ({})", device.ref().key(), device.device().protocol());
      } else {
        scheduled.runner.update(device);
      }
      schedule(scheduled, Duration.ZERO);
    }
  }

  private void schedule(Scheduled scheduled, Duration delay) {
    if (scheduled.next != null) {
      scheduled.next.cancel(false);
    }
    scheduled.next = scheduler.schedule(() -> begin(scheduled), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A device that is still in a pass (e.g. waiting for a slow device) never takes a second worker. */
  private void begin(Scheduled scheduled) {
    if (scheduled.busy.compareAndSet(false, true)) {
      (scheduled.runner.offline() ? retries : workers).execute(() -> pass(scheduled));
    } else {
      scheduled.again.set(true);
    }
  }

  /** On a worker: one pass, then the next is scheduled on the scheduler thread (if the device is still served). */
  private void pass(Scheduled scheduled) {
    DeviceRunner.Outcome outcome;
    try {
      outcome = scheduled.runner.pass(context, statuses::record);
    } catch (RuntimeException e) {
      // A bug or a driver breaking its contract: this device waits and retries, the others go on.
      LOG.warn("Device {}: pass failed", scheduled.runner.device().ref().key(), e);
      outcome = new DeviceRunner.Outcome(DeviceRunner.CONFIG_RETRY, Map.of());
    }
    publish(scheduled.runner.device(), outcome.changed());
    scheduled.busy.set(false);
    Duration next = scheduled.again.getAndSet(false) ? Duration.ZERO : outcome.next();
    try {
      scheduler.execute(() -> {
        if (running.get(scheduled.runner.device().ref().uid()) == scheduled) {
          schedule(scheduled, next);
        }
      });
    } catch (RejectedExecutionException e) {
      LOG.debug("Device twins stopping: no next pass");
    }
  }

  private void publish(StoredDevice device, Map<String, Object> changed) {
    List<TelemetrySink> current = sinks;
    if (changed.isEmpty() || current == null) {
      return;
    }
    Instant now = clock.instant();
    for (TelemetrySink sink : current) {
      try {
        sink.changed(device.ref().namespace(), device.ref().name(), now, changed);
      } catch (RuntimeException e) {
        LOG.warn("Telemetry sink {} failed", sink.getClass().getName(), e);
      }
    }
  }

  private final DeviceRunner.Context context = new DeviceRunner.Context() {
    @Override
    public Optional<DeviceModelV1> model(String namespace, String name) {
      return store.deviceModel(namespace, name);
    }

    @Override
    public Optional<ProtocolDriver> driver(String protocol) {
      return drivers.driver(protocol);
    }

    @Override
    public List<String> protocols() {
      return drivers.protocols();
    }
  };
}
