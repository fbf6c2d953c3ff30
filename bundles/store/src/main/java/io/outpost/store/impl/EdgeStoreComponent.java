package io.outpost.store.impl;

import io.outpost.store.DesiredState;
import io.outpost.store.Outbox;
import io.outpost.store.StoreListener;
import io.outpost.store.SyncLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens this node's edge store (migrating an older schema first) and publishes its views: {@link DesiredState},
 * {@link SyncLog} and the three {@link Outbox} services ({@link Outbox#NAME} tells them apart); tells
 * {@link StoreListener}s about committed changes on a thread of its own. The services are registered here, not by
 * DS, so the bundle declares them as capabilities for the resolver itself.
 */
@Capability(namespace = "osgi.service",
    attribute = "objectClass:List<String>=\"io.outpost.store.DesiredState,io.outpost.store.SyncLog\"")
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=io.outpost.store.Outbox")
@Component(service = {}, immediate = true, configurationPid = "io.outpost.node",
    configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = StoreConfig.class)
public final class EdgeStoreComponent implements StoreListener {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeStoreComponent.class);

  private final XodusEdgeStore store;
  private final ExecutorService notifier;
  private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

  /**
   * Listeners are held as service objects and fetched only to notify them: the sync component both uses this store
   * and listens to it, and getting listener services while the store activates would be a circular reference.
   */
  @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
  private volatile List<ComponentServiceObjects<StoreListener>> listeners;

  @Activate
  public EdgeStoreComponent(StoreConfig config, BundleContext context) throws Exception {
    Path directory = resolve(config.data_dir()).resolve("store");
    Files.createDirectories(directory);
    this.notifier = Executors.newSingleThreadExecutor(r -> new Thread(r, "outpost-store-notify"));
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    // Xodus finds its pluggable parts through ServiceLoader on the context class loader.
    Thread.currentThread().setContextClassLoader(XodusEdgeStore.class.getClassLoader());
    try {
      this.store = XodusEdgeStore.inDataDir(directory.getParent(), config.events_max(), this);
    } catch (RuntimeException e) {
      notifier.shutdown();
      throw e;
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
    LOG.info("Edge store open at {} (schema {}, position {})", directory, store.schemaVersion(), store.position());
    registrations.add(context.registerService(new String[] {DesiredState.class.getName(), SyncLog.class.getName()},
        store, null));
    registrations.add(context.registerService(Outbox.class, store.podStatuses(), named(Outbox.POD_STATUS)));
    registrations.add(context.registerService(Outbox.class, store.deviceStatuses(), named(Outbox.DEVICE_STATUS)));
    registrations.add(context.registerService(Outbox.class, store.events(), named(Outbox.EVENT)));
  }

  private static Dictionary<String, Object> named(String outbox) {
    Hashtable<String, Object> properties = new Hashtable<>();
    properties.put(Outbox.NAME, outbox);
    return properties;
  }

  static Path resolve(String dataDir) {
    Path path = Path.of(dataDir);
    String karafData = System.getProperty("karaf.data");
    return path.isAbsolute() || karafData == null ? path : Path.of(karafData).resolve(path);
  }

  @Deactivate
  void deactivate() {
    for (ServiceRegistration<?> registration : registrations) {
      try {
        registration.unregister();
      } catch (IllegalStateException alreadyGone) {
        // the bundle is stopping and the framework unregistered it first
      }
    }
    notifier.shutdown();
    store.close();
    LOG.info("Edge store closed");
  }

  @Override
  public void objectsChanged(Set<String> keys) {
    notifyListeners(l -> l.objectsChanged(keys));
  }

  @Override
  public void outboxChanged() {
    notifyListeners(StoreListener::outboxChanged);
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
