package io.outpost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.apache.karaf.features.FeaturesService;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Boots the built distribution (the tar.gz operators unpack) and checks that every Outpost bundle is active and
 * every Outpost component is satisfied. The broker and engine it is configured with are not running: components must
 * still come up and report that as state, not fail.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DistributionIT {
  private static final List<String> OUTPOST_BUNDLES = List.of(
      "io.outpost.protocol", "io.outpost.metrics", "io.outpost.identity", "io.outpost.store", "io.outpost.sync",
      "io.outpost.containers", "io.outpost.console", "io.outpost.network", "io.outpost.rollout");
  private static final List<String> SERVICES = List.of(
      "io.outpost.store.DesiredState", "io.outpost.store.SyncLog", "io.outpost.store.Outbox",
      "io.outpost.sync.SyncService", "io.outpost.containers.ContainerManager");

  @Inject
  private BundleContext context;

  @Configuration
  public Option[] config() {
    return ExamNode.options("paxexam-node");
  }

  @Test
  public void consoleCommandsReportTheNodesState() throws Exception {
    awaitOutpostServices();
    ServiceTracker<SessionFactory, SessionFactory> tracker = new ServiceTracker<>(context, SessionFactory.class, null);
    tracker.open();
    try {
      SessionFactory sessions = tracker.waitForService(120_000);
      assertNotNull("no shell SessionFactory", sessions);
      String status = execute(sessions, "outpost:status");
      assertTrue(status, status.contains("paxexam-node"));
      assertTrue(status, status.contains("connected") && status.contains("false"));
      String pods = execute(sessions, "outpost:pods");
      assertTrue(pods, pods.contains("Namespace") && pods.contains("Phase"));
      String resync = execute(sessions, "outpost:resync");
      assertTrue(resync, resync.contains("Resync requested"));
    } finally {
      tracker.close();
    }
  }

  private static String execute(SessionFactory sessions, String command) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Session session = sessions.create(new ByteArrayInputStream(new byte[0]), out, out);
    try {
      session.execute(command);
    } finally {
      session.close();
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** Waits for the services every Outpost component registers (the commands use them). */
  private void awaitOutpostServices() throws InterruptedException {
    for (String service : SERVICES) {
      ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, service, null);
      tracker.open(true);
      try {
        assertNotNull(service + " was not registered", tracker.waitForService(120_000));
      } finally {
        tracker.close();
      }
    }
  }

  @Test
  public void theDataCenterProfileHasNoDeviceModuleBundleInstalled() throws Exception {
    awaitOutpostServices();
    List<String> device = Arrays.stream(context.getBundles()).map(Bundle::getSymbolicName)
        .filter(name -> name.startsWith("io.outpost.devices")).collect(Collectors.toList());
    assertTrue("device bundles present in the data-center profile: " + device, device.isEmpty());
  }

  /**
   * The IoT profile, switched on and off live: {@code feature:install outpost-devices} brings the device bundles
   * with every component satisfied — the twin engine, the driver registry, both drivers; the Kura telemetry waits
   * for its configuration, as documented — and {@code feature:uninstall} leaves no device bundle behind.
   */
  @Test
  public void theDeviceFeatureInstallsLiveWithItsComponentsAndUninstallsCleanly() throws Exception {
    awaitOutpostServices();
    ServiceTracker<ServiceComponentRuntime, ServiceComponentRuntime> scr =
        new ServiceTracker<>(context, ServiceComponentRuntime.class, null);
    ServiceTracker<FeaturesService, FeaturesService> features =
        new ServiceTracker<>(context, FeaturesService.class, null);
    scr.open();
    features.open();
    try {
      ServiceComponentRuntime runtime = scr.waitForService(60_000);
      FeaturesService featuresService = features.waitForService(60_000);
      assertNotNull("no FeaturesService", featuresService);
      // What feature:install does, through its API (the shell's feature commands may register after this probe).
      featuresService.installFeature("outpost-devices");
      List<Bundle> device = Arrays.stream(context.getBundles())
          .filter(b -> b.getSymbolicName().startsWith("io.outpost.devices")).collect(Collectors.toList());
      assertEquals(List.of("io.outpost.devices", "io.outpost.devices.kura.telemetry", "io.outpost.devices.modbus",
          "io.outpost.devices.mqtt"), device.stream().map(Bundle::getSymbolicName).sorted()
          .collect(Collectors.toList()));
      for (Bundle bundle : device) {
        assertEquals(bundle.getSymbolicName() + " is not active", Bundle.ACTIVE, bundle.getState());
      }
      java.util.Map<String, Integer> states = new java.util.TreeMap<>();
      for (ComponentDescriptionDTO description : runtime.getComponentDescriptionDTOs(device.toArray(Bundle[]::new))) {
        List<ComponentConfigurationDTO> configurations = List.copyOf(
            runtime.getComponentConfigurationDTOs(description));
        states.put(description.name.substring(description.name.lastIndexOf('.') + 1),
            configurations.isEmpty() ? -1 : configurations.get(0).state);
      }
      int ready = ComponentConfigurationDTO.ACTIVE;
      for (String component : List.of("DeviceTwins", "DriverRegistry", "ModbusDriver", "MqttDriver")) {
        assertTrue(component + " not active: " + states, states.containsKey(component)
            && (states.get(component) == ready || states.get(component) == ComponentConfigurationDTO.SATISFIED));
      }
      assertEquals("Kura telemetry is off until configured: " + states, Integer.valueOf(-1),
          states.get("KuraTelemetry"));

      featuresService.uninstallFeature("outpost-devices");
      List<String> left = Arrays.stream(context.getBundles()).map(Bundle::getSymbolicName)
          .filter(name -> name.startsWith("io.outpost.devices")).collect(Collectors.toList());
      assertTrue("device bundles left after uninstall: " + left, left.isEmpty());
    } finally {
      features.close();
      scr.close();
    }
  }

  /** Logs stay bounded on small nodes: the logging configuration the node runs with caps size and file count. */
  @Test
  public void theLogsOnDiskAreBounded() throws Exception {
    ServiceTracker<org.osgi.service.cm.ConfigurationAdmin, org.osgi.service.cm.ConfigurationAdmin> tracker =
        new ServiceTracker<>(context, org.osgi.service.cm.ConfigurationAdmin.class, null);
    tracker.open();
    try {
      org.osgi.service.cm.ConfigurationAdmin admin = tracker.waitForService(60_000);
      assertNotNull("no ConfigurationAdmin", admin);
      java.util.Dictionary<String, Object> logging = admin.getConfiguration("org.ops4j.pax.logging", null)
          .getProperties();
      assertNotNull("no logging configuration", logging);
      assertEquals("8MB", logging.get("log4j2.appender.rolling.policies.size.size"));
      assertEquals("4", String.valueOf(logging.get("log4j2.appender.rolling.strategy.max")));
      assertEquals("2MB", logging.get("log4j2.appender.audit.policies.size.size"));
      assertEquals("2", String.valueOf(logging.get("log4j2.appender.audit.strategy.max")));
    } finally {
      tracker.close();
    }
  }

  /**
   * Site networking is a boot feature that an operator can take off a running node (a site with its own CNI) and put
   * back: the network bundle goes and comes, and the container manager — which runs the pods — is the same service
   * throughout (its optional PodNetwork reference is dynamic: nothing of it restarts).
   */
  @Test
  public void theNetworkFeatureUninstallsAndReinstallsLiveWithoutRestartingTheContainerManager() throws Exception {
    awaitOutpostServices();
    ServiceTracker<FeaturesService, FeaturesService> features =
        new ServiceTracker<>(context, FeaturesService.class, null);
    features.open();
    try {
      FeaturesService featuresService = features.waitForService(60_000);
      assertNotNull("no FeaturesService", featuresService);
      assertTrue("outpost-network is a boot feature",
          featuresService.isInstalled(featuresService.getFeature("outpost-network")));
      Object managerId = context.getServiceReference("io.outpost.containers.ContainerManager")
          .getProperty("service.id");

      featuresService.uninstallFeature("outpost-network");
      List<String> left = Arrays.stream(context.getBundles()).map(Bundle::getSymbolicName)
          .filter("io.outpost.network"::equals).collect(Collectors.toList());
      assertTrue("network bundle left after uninstall: " + left, left.isEmpty());
      assertEquals("the container manager was restarted by the uninstall", managerId,
          context.getServiceReference("io.outpost.containers.ContainerManager").getProperty("service.id"));

      featuresService.installFeature("outpost-network");
      Bundle network = Arrays.stream(context.getBundles())
          .filter(b -> "io.outpost.network".equals(b.getSymbolicName())).findFirst().orElse(null);
      assertNotNull("network bundle not back after install", network);
      assertEquals(Bundle.ACTIVE, network.getState());
      assertEquals("the container manager was restarted by the install", managerId,
          context.getServiceReference("io.outpost.containers.ContainerManager").getProperty("service.id"));
    } finally {
      features.close();
    }
  }

  @Test
  public void everyOutpostBundleIsActiveAndEveryComponentSatisfied() throws Exception {
    awaitOutpostServices();
    List<Bundle> outpost = Arrays.stream(context.getBundles())
        .filter(b -> b.getSymbolicName().startsWith("io.outpost."))
        .collect(Collectors.toList());
    assertEquals(OUTPOST_BUNDLES.stream().sorted().collect(Collectors.toList()),
        outpost.stream().map(Bundle::getSymbolicName).sorted().collect(Collectors.toList()));
    for (Bundle bundle : outpost) {
      assertEquals(bundle.getSymbolicName() + " is not active", Bundle.ACTIVE, bundle.getState());
    }

    ServiceTracker<ServiceComponentRuntime, ServiceComponentRuntime> scr =
        new ServiceTracker<>(context, ServiceComponentRuntime.class, null);
    scr.open();
    try {
      ServiceComponentRuntime runtime = scr.waitForService(60_000);
      assertNotNull("no ServiceComponentRuntime", runtime);
      List<ComponentDescriptionDTO> components = runtime.getComponentDescriptionDTOs(outpost.toArray(Bundle[]::new))
          .stream().collect(Collectors.toList());
      assertFalse("Outpost bundles declare no components", components.isEmpty());
      for (ComponentDescriptionDTO description : components) {
        assertTrue(description.name + " is not enabled", runtime.isComponentEnabled(description));
        List<ComponentConfigurationDTO> configurations = List.copyOf(
            runtime.getComponentConfigurationDTOs(description));
        assertFalse(description.name + " has no configuration (missing io.outpost.node?)", configurations.isEmpty());
        for (ComponentConfigurationDTO configuration : configurations) {
          assertTrue(description.name + " is not satisfied: state " + configuration.state
                  + ", unsatisfied " + Arrays.toString(configuration.unsatisfiedReferences),
              configuration.state == ComponentConfigurationDTO.ACTIVE
                  || configuration.state == ComponentConfigurationDTO.SATISFIED);
        }
      }
    } finally {
      scr.close();
    }
  }
}
