package io.outpost.itests;

import static org.awaitility.Awaitility.await;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;

import io.outpost.sync.SyncService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Editing the node's configuration on the built distribution, through Configuration Admin (what {@code config:edit}
 * and an edit of {@code etc/io.outpost.node.cfg} do) — in the one file every key may still be set in, the hardest
 * case: every component sees every change. A new broker.url moves the MQTT link to a real Mosquitto without the
 * store being closed and reopened (its service stays registered, the same one), and a container setting changed then
 * reaches the container manager without the link dropping (the broker saw one connection, and no disconnection).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigurationEditIT {
  private static final String NODE = "paxexam-config";
  /** The store's services (desired state and sync log in one registration; the outboxes) are registered by its
   * component when it opens the store, and only then. */
  private static final String STORE = "io.outpost.store.SyncLog";
  private static final String OUTBOX = "io.outpost.store.Outbox";
  private static final String STORE_COMPONENT = "io.outpost.store.impl.EdgeStoreComponent";
  private static final String SYNC = "io.outpost.sync.SyncService";
  private static final String CONTAINERS = "io.outpost.containers.ContainerManager";

  @Inject
  private BundleContext context;

  @Inject
  private ConfigurationAdmin configurationAdmin;

  @Configuration
  public Option[] config() {
    return ExamNode.options(NODE, mavenBundle("org.hamcrest", "hamcrest", "2.2"),
        mavenBundle("org.awaitility", "awaitility", "4.2.2"));
  }

  @Test
  public void aNewBrokerDoesNotReopenTheStoreAndAContainerSettingDoesNotDropTheLink() throws Exception {
    Map<String, Long> ids = Map.of(STORE, serviceId(STORE), SYNC, serviceId(SYNC), CONTAINERS,
        serviceId(CONTAINERS));
    List<String> unregistered = new CopyOnWriteArrayList<>();
    ServiceListener listener = event -> {
      if (event.getType() == ServiceEvent.UNREGISTERING) {
        unregistered.add(String.join(",", (String[]) event.getServiceReference().getProperty("objectClass")));
      }
    };
    context.addServiceListener(listener, "(|(objectClass=" + STORE + ")(objectClass=" + OUTBOX + ")(objectClass="
        + SYNC + ")(objectClass=" + CONTAINERS + "))");
    Path dir = Files.createTempDirectory("outpost-config-edit-");
    int port = ExamNode.freePort();
    Process broker = startMosquitto(dir, port);
    try {
      String url = "tcp://127.0.0.1:" + port;
      edit("broker.url", url);
      await("the store and the sync have the new broker.url").atMost(Duration.ofSeconds(60))
          .until(() -> url.equals(componentProperty(STORE_COMPONENT, "broker.url"))
              && url.equals(property(SYNC, "broker.url")));
      SyncService sync = context.getService(context.getServiceReference(SyncService.class));
      await("the link is up on the new broker").atMost(Duration.ofSeconds(60))
          .until(() -> sync.state().connected() && url.equals(sync.state().broker()));
      assertEquals("the store was not closed and opened again: its service is the same", (long) ids.get(STORE),
          serviceId(STORE));
      assertTrue("no Outpost service went away: " + unregistered, unregistered.isEmpty());

      edit("allow.privileged", Boolean.TRUE);
      await("the container manager and the sync have seen the change").atMost(Duration.ofSeconds(60))
          .until(() -> "true".equals(String.valueOf(property(CONTAINERS, "allow.privileged")))
              && "true".equals(String.valueOf(property(SYNC, "allow.privileged"))));
      assertTrue("the link is up", sync.state().connected());
      List<String> log = Files.readAllLines(dir.resolve("mosquitto.log"));
      String client = "outpost-edge-" + NODE;
      List<String> connects = log.stream().filter(line -> line.contains("New client connected")
          && line.contains(" " + client + " ")).collect(Collectors.toList());
      List<String> disconnects = log.stream().filter(line -> line.contains(client)
          && (line.contains("disconnected") || line.contains("closed its connection"))).collect(Collectors.toList());
      assertEquals("one connection of the node, kept over the container setting: " + log, 1, connects.size());
      assertTrue("no disconnection: " + disconnects, disconnects.isEmpty());
      assertEquals(ids, Map.of(STORE, serviceId(STORE), SYNC, serviceId(SYNC), CONTAINERS, serviceId(CONTAINERS)));
      assertTrue("no Outpost service went away: " + unregistered, unregistered.isEmpty());
    } finally {
      context.removeServiceListener(listener);
      broker.destroy();
      broker.waitFor();
      try (java.util.stream.Stream<Path> files = Files.walk(dir)) { // the broker's configuration and log
        files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
      }
    }
  }

  /**
   * A component's own file: a key there reaches that component only, and a key also set in the node-wide
   * {@code io.outpost.node} is overridden by it (the rule that keeps a configuration written before the split working).
   */
  @Test
  public void aComponentsOwnPidReachesOnlyItAndTheNodeWidePidWins() throws Exception {
    long containers = serviceId(CONTAINERS);
    long sync = serviceId(SYNC);
    String engine = String.valueOf(property(CONTAINERS, "engine.host"));
    edit("io.outpost.containers", "pod.workers", "3");
    edit("io.outpost.containers", "engine.host", "unix:///not/the/node/wide/one.sock");
    await("the container manager has its new pod.workers").atMost(Duration.ofSeconds(60))
        .until(() -> "3".equals(String.valueOf(property(CONTAINERS, "pod.workers"))));
    assertEquals("io.outpost.node sets engine.host too, and wins", engine,
        String.valueOf(property(CONTAINERS, "engine.host")));
    assertNull("the sync does not read io.outpost.containers", property(SYNC, "pod.workers"));
    assertEquals(containers, serviceId(CONTAINERS));
    assertEquals(sync, serviceId(SYNC));
  }

  /** Sets one key of {@code io.outpost.node} through Configuration Admin, as {@code config:property-set} does. */
  private void edit(String key, Object value) throws Exception {
    edit("io.outpost.node", key, value);
  }

  /** Sets one key of {@code pid} through Configuration Admin. */
  private void edit(String pid, String key, Object value) throws Exception {
    org.osgi.service.cm.Configuration node = configurationAdmin.getConfiguration(pid, null);
    Dictionary<String, Object> properties = node.getProperties();
    properties.put(key, value);
    node.update(properties);
  }

  private long serviceId(String service) throws InterruptedException {
    org.osgi.util.tracker.ServiceTracker<Object, Object> tracker =
        new org.osgi.util.tracker.ServiceTracker<>(context, service, null);
    tracker.open(true);
    try {
      if (tracker.waitForService(120_000) == null) {
        throw new AssertionError(service + " was not registered");
      }
      return (Long) tracker.getServiceReference().getProperty("service.id");
    } finally {
      tracker.close();
    }
  }

  /** A configuration property of the DS component {@code name} as SCR holds it (null: not configured yet). */
  private Object componentProperty(String name, String key) {
    ServiceReference<ServiceComponentRuntime> reference = context.getServiceReference(ServiceComponentRuntime.class);
    if (reference == null) {
      return null;
    }
    ServiceComponentRuntime scr = context.getService(reference);
    try {
      for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
        if (description.name.equals(name)) {
          for (ComponentConfigurationDTO configuration : scr.getComponentConfigurationDTOs(description)) {
            return configuration.properties.get(key);
          }
        }
      }
      return null;
    } finally {
      context.ungetService(reference);
    }
  }

  private Object property(String service, String key) {
    ServiceReference<?> reference = context.getServiceReference(service);
    return reference == null ? null : reference.getProperty(key);
  }

  /** A real broker on a loopback port, logging every connection and disconnection to {@code dir/mosquitto.log}. */
  private static Process startMosquitto(Path dir, int port) throws Exception {
    Path config = dir.resolve("mosquitto.conf");
    Files.writeString(config, String.join("\n", "user root", "listener " + port + " 127.0.0.1",
        "allow_anonymous true", "persistence false", "connection_messages true", "log_type all",
        "log_dest file " + dir.resolve("mosquitto.log"), ""));
    String binary = Files.isExecutable(Path.of("/usr/sbin/mosquitto")) ? "/usr/sbin/mosquitto" : "mosquitto";
    Process process = new ProcessBuilder(binary, "-c", config.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("mosquitto.out").toFile()).start();
    await("mosquitto listens").atMost(Duration.ofSeconds(30)).until(() -> {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
        return true;
      } catch (java.io.IOException e) {
        return false;
      }
    });
    return process;
  }
}
