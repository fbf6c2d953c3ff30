package io.outpost.store.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.SecretV1;
import io.outpost.store.ApplyResult;
import io.outpost.store.EdgeStore;
import io.outpost.store.PendingDeviceStatus;
import io.outpost.store.PendingEvent;
import io.outpost.store.PendingStatus;
import io.outpost.store.StoreListener;
import io.outpost.store.StoredDevice;
import io.outpost.store.StoredPod;
import io.outpost.store.SyncPosition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.osgi.service.component.ComponentServiceObjects;
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
 * Publishes the {@link EdgeStore} of this node and tells {@link StoreListener}s about committed changes.
 *
 * <p>Configured by {@code io.outpost.store} and the node-wide {@code io.outpost.node} (which wins). The store is
 * never reopened by a configuration change ({@link #modified}): a change of another component's key — the broker,
 * the container settings — leaves it alone, and a change of its own keys takes effect when the store is next
 * started (logged).
 */
@Component(service = EdgeStore.class, immediate = true, configurationPid = {EdgeStoreComponent.PID,
    "io.outpost.node"}, configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class EdgeStoreComponent implements EdgeStore {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeStoreComponent.class);
  /** The store's own configuration PID; the node-wide {@code io.outpost.node} is read after it and wins. */
  static final String PID = "io.outpost.store";

  /** The settings the store was opened with. */
  private final Opened opened;

  /** What the store is opened with: a change of any of it needs the store to be opened again. */
  record Opened(Path directory, int maxMessageBytes, int eventsMax) {
    static Opened of(StoreConfig config) {
      return new Opened(resolve(config.data_dir()).resolve("store"), config.max_message_bytes(), config.events_max());
    }
  }

  private final XodusEdgeStore store;
  private final ExecutorService notifier;

  /**
   * Listeners are held as service objects and fetched only to notify them: the sync component both uses this store
   * and listens to it, and getting listener services while the store activates would be a circular reference.
   */
  @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
  private volatile List<ComponentServiceObjects<StoreListener>> listeners;

  @Activate
  public EdgeStoreComponent(StoreConfig config) throws Exception {
    this.opened = Opened.of(config);
    Path directory = opened.directory();
    Files.createDirectories(directory);
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    // Xodus finds its pluggable parts through ServiceLoader on the context class loader.
    Thread.currentThread().setContextClassLoader(XodusEdgeStore.class.getClassLoader());
    try {
      this.store = XodusEdgeStore.inDataDir(directory.getParent(), new Codec(config.max_message_bytes()),
          config.events_max());
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
    this.notifier = Executors.newSingleThreadExecutor(r -> new Thread(r, "outpost-store-notify"));
    LOG.info("Edge store open at {} (position {})", directory, store.position());
  }

  static Path resolve(String dataDir) {
    Path path = Path.of(dataDir);
    String karafData = System.getProperty("karaf.data");
    return path.isAbsolute() || karafData == null ? path : Path.of(karafData).resolve(path);
  }

  /**
   * A changed configuration ({@code io.outpost.store} or {@code io.outpost.node}). The store stays open: reopening it
   * would take it away from every component using it. If {@code data.dir}, {@code events.max} or
   * {@code max.message.bytes} changed, that is logged, and applies when the store is next started ({@code
   * bundle:restart io.outpost.store}, or a restart of the node).
   */
  @Modified
  void modified(StoreConfig config) {
    pending(config);
  }

  /** The keys of {@code config} that differ from what the store was opened with (logged if any). */
  List<String> pending(StoreConfig config) {
    Opened next = Opened.of(config);
    List<String> pending = new java.util.ArrayList<>();
    if (!next.directory().equals(opened.directory())) {
      pending.add("data.dir");
    }
    if (next.eventsMax() != opened.eventsMax()) {
      pending.add("events.max");
    }
    if (next.maxMessageBytes() != opened.maxMessageBytes()) {
      pending.add("max.message.bytes");
    }
    if (!pending.isEmpty()) {
      LOG.warn("Store settings changed ({}): they apply when the store is next started (bundle:restart"
          + " io.outpost.store, or restart the node); the store stays open at {} until then", pending,
          opened.directory());
    }
    return pending;
  }

  @Deactivate
  void deactivate() {
    notifier.shutdown();
    store.close();
    LOG.info("Edge store closed");
  }

  @Override
  public ApplyResult apply(Downstream message) {
    XodusEdgeStore.Applied applied = store.applyTracked(message);
    if (!applied.changedKeys().isEmpty()) {
      notifyListeners(l -> l.objectsChanged(applied.changedKeys()));
    }
    return applied.result();
  }

  @Override
  public SyncPosition position() {
    return store.position();
  }

  @Override
  public List<StoredPod> pods() {
    return store.pods();
  }

  @Override
  public List<ObjectRef> held() {
    return store.held();
  }

  @Override
  public Optional<ConfigMapV1> configMap(String namespace, String name) {
    return store.configMap(namespace, name);
  }

  @Override
  public Optional<SecretV1> secret(String namespace, String name) {
    return store.secret(namespace, name);
  }

  @Override
  public Optional<NodeV1> node(String name) {
    return store.node(name);
  }

  @Override
  public int recordEvent(EventReport event) {
    int dropped = store.recordEvent(event);
    if (dropped > 0) {
      long total = store.eventsDropped();
      // Logged on the first drop and every 100th after it: a long outage must not flood the log.
      if (total == dropped || total / 100 != (total - dropped) / 100) {
        LOG.warn("Event outbox full ({} undelivered): dropped the oldest event; {} dropped in total",
            store.eventDepth(), total);
      }
    }
    notifyListeners(StoreListener::outboxChanged);
    return dropped;
  }

  @Override
  public List<PendingEvent> pendingEvents(int max) {
    return store.pendingEvents(max);
  }

  @Override
  public void eventDelivered(PendingEvent event) {
    store.eventDelivered(event);
  }

  @Override
  public int eventDepth() {
    return store.eventDepth();
  }

  @Override
  public long eventsDropped() {
    return store.eventsDropped();
  }

  @Override
  public boolean recordStatus(PodStatusReport report) {
    boolean changed = store.recordStatus(report);
    if (changed) {
      notifyListeners(StoreListener::outboxChanged);
    }
    return changed;
  }

  @Override
  public Optional<PodStatusReport> lastStatus(String uid) {
    return store.lastStatus(uid);
  }

  @Override
  public int requeueStatuses() {
    return store.requeueStatuses();
  }

  @Override
  public List<PendingStatus> pendingStatuses(int max) {
    return store.pendingStatuses(max);
  }

  @Override
  public void statusDelivered(String uid, long version) {
    store.statusDelivered(uid, version);
  }

  @Override
  public int outboxDepth() {
    return store.outboxDepth();
  }

  @Override
  public void forgetStatus(String uid) {
    store.forgetStatus(uid);
  }

  @Override
  public List<StoredDevice> devices() {
    return store.devices();
  }

  @Override
  public Optional<DeviceModelV1> deviceModel(String namespace, String name) {
    return store.deviceModel(namespace, name);
  }

  @Override
  public boolean recordDeviceStatus(DeviceStatusReport report) {
    boolean changed = store.recordDeviceStatus(report);
    if (changed) {
      notifyListeners(StoreListener::outboxChanged);
    }
    return changed;
  }

  @Override
  public Optional<DeviceStatusReport> lastDeviceStatus(String uid) {
    return store.lastDeviceStatus(uid);
  }

  @Override
  public List<PendingDeviceStatus> pendingDeviceStatuses(int max) {
    return store.pendingDeviceStatuses(max);
  }

  @Override
  public void deviceStatusDelivered(String uid, long version) {
    store.deviceStatusDelivered(uid, version);
  }

  @Override
  public int deviceOutboxDepth() {
    return store.deviceOutboxDepth();
  }

  @Override
  public void forgetDeviceStatus(String uid) {
    store.forgetDeviceStatus(uid);
  }

  private void notifyListeners(Consumer<StoreListener> call) {
    List<ComponentServiceObjects<StoreListener>> current = listeners;
    if (current == null || current.isEmpty()) {
      return;
    }
    notifier.execute(() -> {
      for (ComponentServiceObjects<StoreListener> objects : current) {
        StoreListener listener = objects.getService();
        if (listener == null) {
          continue;
        }
        try {
          call.accept(listener);
        } catch (RuntimeException e) {
          LOG.warn("Store listener {} failed", listener.getClass().getName(), e);
        } finally {
          objects.ungetService(listener);
        }
      }
    });
  }
}
