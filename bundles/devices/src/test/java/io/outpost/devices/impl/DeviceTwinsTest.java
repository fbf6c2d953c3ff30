package io.outpost.devices.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.outpost.devices.DriverException;
import io.outpost.devices.ProtocolDriver;
import io.outpost.devices.TelemetrySink;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceModelV1.ModelPropertyV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.DeviceV1.PropertyV1;
import io.outpost.store.Change;
import io.outpost.store.SyncPosition;
import io.outpost.protocol.ObjectRef;
import io.outpost.store.impl.XodusEdgeStore;
import java.lang.annotation.Annotation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The twin engine on a real edge store (Xodus on a temp dir): desired values are checked against the model and
 * written once, reported values are read on their cycle and kept in the device status outbox, bad devices become
 * statuses with a reason, a hanging device does not stall the others, and a restarted engine continues from the
 * store. The devices are in-memory register banks behind a test protocol; real drivers are tested against real
 * servers in their own bundles and end to end.
 */
class DeviceTwinsTest {
  private static final long EPOCH = 7;
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  @TempDir Path dir;
  private XodusEdgeStore store;
  private DriverRegistry drivers;
  private DeviceTwins twins;
  private long seq;
  /** Registers of the test devices, by device ip then offset. */
  private final Map<String, Map<String, String>> banks = new ConcurrentHashMap<>();
  private final AtomicInteger writes = new AtomicInteger();
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<Map<String, Object>> telemetry = new CopyOnWriteArrayList<>();

  /** A register bank per "ip"; ip "hang" never answers (until the test ends), ip "gone" is unreachable at once. */
  private final ProtocolDriver testbus = new ProtocolDriver() {
    @Override
    public String protocol() {
      return "testbus";
    }

    @Override
    public String read(Map<String, String> protocol, Map<String, String> visitor) throws DriverException {
      return bank(protocol).getOrDefault(visitor.get("offset"), "0");
    }

    @Override
    public void write(Map<String, String> protocol, Map<String, String> visitor, String value)
        throws DriverException {
      bank(protocol).put(visitor.get("offset"), value);
      writes.incrementAndGet();
    }

    private Map<String, String> bank(Map<String, String> protocol) throws DriverException {
      String ip = protocol.get("ip");
      if ("hang".equals(ip)) {
        try {
          release.await(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new DriverException("unreachable", "no answer from " + ip);
      }
      if ("gone".equals(ip)) {
        throw new DriverException("unreachable", "connection refused by " + ip);
      }
      return banks.computeIfAbsent(ip, k -> new ConcurrentHashMap<>());
    }
  };

  @BeforeEach
  void open() {
    store = new XodusEdgeStore(dir.resolve("store"));
    seq = 1;
    store.apply(new Change.ResyncBegin(new SyncPosition(EPOCH, seq)));
    apply(new Change.Put(new SyncPosition(EPOCH, ++seq), ref("DeviceModel", "thermostat", "m1", "1"),
        new DeviceModelV1("testbus", List.of(
            new ModelPropertyV1("temperature", "INT", "ReadOnly", null, null, "celsius"),
            new ModelPropertyV1("setpoint", "INT", "ReadWrite", "5", "30", "celsius")))));
    apply(new Change.ResyncEnd(new SyncPosition(EPOCH, ++seq)));
    drivers = new DriverRegistry();
    drivers.addDriver(testbus);
  }

  @AfterEach
  void close() {
    release.countDown();
    if (twins != null) {
      twins.deactivate();
    }
    store.close();
  }

  private void apply(Change change) {
    assertThat(store.apply(change).outcome().advanced()).as("applied %s", change).isTrue();
  }

  private static ObjectRef ref(String kind, String name, String uid, String rv) {
    return new ObjectRef(kind, "plant", name, uid, rv);
  }

  private void device(String name, String uid, String rv, String ip, String protocol, String setpoint) {
    apply(new Change.Put(new SyncPosition(EPOCH, ++seq), ref("Device", name, uid, rv), new DeviceV1(
        "thermostat", protocol, Map.of("ip", ip), List.of(
            new PropertyV1("temperature", null, Map.of("offset", "0"), 100, 100, true),
            new PropertyV1("setpoint", setpoint, Map.of("offset", "3"), 100, 100, true)))));
    if (twins != null) {
      twins.objectsChanged(java.util.Set.of("Device/plant/" + name)); // as the store component tells its listeners
    }
  }

  private void start(int workers) {
    twins = new DeviceTwins(store, store.deviceStatuses(), drivers, config(workers));
    twins.sinks = List.of((TelemetrySink) (namespace, device, at, values) -> telemetry.add(values));
  }

  private DeviceStatusReport status(String uid) {
    return store.deviceStatuses().last(uid).orElseThrow(() -> new AssertionError("no status of " + uid));
  }

  private static DeviceStatusReport.TwinV1 twin(DeviceStatusReport status, String property) {
    return status.twins().stream().filter(t -> t.property().equals(property)).findFirst().orElseThrow();
  }

  @Test
  void desiredValuesAreWrittenOnceReportedValuesAreReadAndKeptInTheOutbox() {
    banks.computeIfAbsent("10.0.0.1", k -> new ConcurrentHashMap<>()).put("0", "215");
    device("boiler", "d1", "1", "10.0.0.1", "testbus", "21");
    start(2);

    await("setpoint written, temperature read").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(banks.get("10.0.0.1")).containsEntry("3", "21");
      DeviceStatusReport status = status("d1");
      assertThat(status.state()).isEqualTo(DeviceStatusReport.ONLINE);
      assertThat(twin(status, "temperature").reported()).isEqualTo("215");
      assertThat(twin(status, "setpoint").observedDesired()).isEqualTo("21");
      assertThat(twin(status, "setpoint").reported()).isEqualTo("21");
    });
    assertThat(store.deviceStatuses().pending(10)).extracting(p -> p.key()).contains("d1");
    assertThat(telemetry).anySatisfy(values -> assertThat(values).containsEntry("temperature", 215L));

    // The device changes: the twin follows on the next read.
    banks.get("10.0.0.1").put("0", "220");
    await().atMost(PATIENCE).until(() -> "220".equals(twin(status("d1"), "temperature").reported()));

    // A desired value outside the model's range is not written: the twin says why.
    device("boiler", "d1", "2", "10.0.0.1", "testbus", "35");
    await("out of range").atMost(PATIENCE).untilAsserted(() -> {
      DeviceStatusReport.TwinV1 setpoint = twin(status("d1"), "setpoint");
      assertThat(setpoint.reason()).isEqualTo("out_of_range");
      assertThat(setpoint.message()).contains("35", "[5, 30]");
    });
    assertThat(banks.get("10.0.0.1")).containsEntry("3", "21");
    assertThat(writes).hasValue(1);

    // Restarted (a node restart, a reinstalled module): continues from the store, writes nothing twice.
    device("boiler", "d1", "3", "10.0.0.1", "testbus", "21");
    await().atMost(PATIENCE).until(() -> twin(status("d1"), "setpoint").reason() == null);
    twins.deactivate();
    start(2);
    banks.get("10.0.0.1").put("0", "230");
    await().atMost(PATIENCE).until(() -> "230".equals(twin(status("d1"), "temperature").reported()));
    assertThat(writes).as("21 was already written before the restart").hasValue(1);

    // Removed from the node: its status is forgotten.
    apply(new Change.Remove(new SyncPosition(EPOCH, ++seq), ref("Device", "boiler", "d1", "3")));
    twins.objectsChanged(java.util.Set.of("Device/plant/boiler"));
    await().atMost(PATIENCE).until(() -> store.deviceStatuses().last("d1").isEmpty());
  }

  @Test
  void badDevicesBecomeStatusesWithAReasonAndNeverStallTheOthers() {
    device("hanging", "d-hang", "1", "hang", "testbus", null);
    device("dead", "d-dead", "1", "gone", "testbus", null);
    device("alien", "d-alien", "1", "10.0.0.9", "opcua", null);
    apply(new Change.Put(new SyncPosition(EPOCH, ++seq), ref("Device", "orphan", "d-orphan", "1"),
        new DeviceV1("no-such-model", "testbus", Map.of("ip", "10.0.0.8"), null)));
    banks.computeIfAbsent("10.0.0.2", k -> new ConcurrentHashMap<>()).put("0", "180");
    device("good", "d-good", "1", "10.0.0.2", "testbus", "12");
    start(2); // one worker will hang on "hanging" for as long as the test runs

    await("every device has its status").atMost(PATIENCE).untilAsserted(() -> {
      assertThat(status("d-good").state()).isEqualTo(DeviceStatusReport.ONLINE);
      assertThat(status("d-dead").state()).isEqualTo(DeviceStatusReport.OFFLINE);
      assertThat(status("d-dead").reason()).isEqualTo("unreachable");
      assertThat(status("d-dead").message()).contains("connection refused");
      assertThat(status("d-alien").state()).isEqualTo(DeviceStatusReport.UNKNOWN);
      assertThat(status("d-alien").reason()).isEqualTo("unknown_protocol");
      assertThat(status("d-alien").message()).contains("opcua", "testbus");
      assertThat(status("d-orphan").reason()).isEqualTo("model_not_found");
    });
    assertThat(banks.get("10.0.0.2")).containsEntry("3", "12");
    // The good device keeps being served while "hanging" holds a worker.
    banks.get("10.0.0.2").put("0", "181");
    await().atMost(PATIENCE).until(() -> "181".equals(twin(status("d-good"), "temperature").reported()));
    banks.get("10.0.0.2").put("0", "182");
    await().atMost(PATIENCE).until(() -> "182".equals(twin(status("d-good"), "temperature").reported()));
    assertThat(store.deviceStatuses().last("d-hang")).as("still in its first pass").isEmpty();

    // A driver for the unknown protocol arrives: the device is served without any change to it.
    drivers.addDriver(new ProtocolDriver() {
      @Override
      public String protocol() {
        return "opcua";
      }

      @Override
      public String read(Map<String, String> protocol, Map<String, String> visitor) {
        return "42";
      }

      @Override
      public void write(Map<String, String> protocol, Map<String, String> visitor, String value) {
        throw new UnsupportedOperationException("not called: no desired values");
      }
    });
    await().atMost(PATIENCE).until(() -> DeviceStatusReport.ONLINE.equals(status("d-alien").state()));
    assertThat(twin(status("d-alien"), "temperature").reported()).isEqualTo("42");
  }

  @Test
  void valuesAreCheckedAgainstTheModel() {
    ModelPropertyV1 level = new ModelPropertyV1("level", "DOUBLE", "ReadWrite", "0", "1.5", null);
    assertThat(TwinValues.checkDesired("1.25", level)).isNull();
    assertThat(TwinValues.checkDesired("1.75", level)[0]).isEqualTo("out_of_range");
    assertThat(TwinValues.checkDesired("high", level)[0]).isEqualTo("invalid_value");
    assertThat(TwinValues.checkDesired("NaN", level)[0]).isEqualTo("invalid_value");
    ModelPropertyV1 count = new ModelPropertyV1("count", "INT", null, null, null, null);
    assertThat(TwinValues.checkDesired("2.5", count)[0]).isEqualTo("invalid_value");
    assertThat(TwinValues.checkDesired("7", new ModelPropertyV1("x", "INT", "ReadOnly", null, null, null))[0])
        .isEqualTo("read_only");
    assertThat(TwinValues.checkDesired("yes", new ModelPropertyV1("on", "BOOLEAN", null, null, null, null))[0])
        .isEqualTo("invalid_value");
    assertThat(TwinValues.checkDesired("1", new ModelPropertyV1("x", "INT", null, "low", null, null))[0])
        .isEqualTo("invalid_model");
    assertThat(TwinValues.checkDesired("1", new ModelPropertyV1("x", "COMPLEX", null, null, null, null))[0])
        .isEqualTo("invalid_model");
    assertThat(TwinValues.typed("21", count)).isEqualTo(21L);
    assertThat(TwinValues.typed("2.5", level)).isEqualTo(2.5);
    assertThat(TwinValues.typed("n/a", level)).isEqualTo("n/a");
  }

  private static DevicesConfig config(int workers) {
    return new DevicesConfig() {
      @Override
      public Class<? extends Annotation> annotationType() {
        return DevicesConfig.class;
      }

      @Override
      public String node_name() {
        return "edge-1";
      }

      @Override
      public int devices_workers() {
        return workers;
      }
    };
  }
}
