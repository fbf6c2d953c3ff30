package io.outpost.devices.impl;

import com.ghgande.j2mod.modbus.procimg.SimpleProcessImage;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import com.ghgande.j2mod.modbus.slave.ModbusSlave;
import com.ghgande.j2mod.modbus.slave.ModbusSlaveFactory;
import io.outpost.devices.DriverException;
import io.outpost.devices.ProtocolDriver;
import io.outpost.devices.TelemetrySink;
import io.outpost.devices.modbus.ModbusDriver;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.store.Change;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.XodusEdgeStore;
import io.outpost.testing.Ports;
import io.outpost.testing.Trees;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The twin engine as it runs on a node, on a real edge store and the real Modbus TCP driver against a j2mod Modbus
 * TCP server: how many reads per second it sustains, and how long a change on a device takes to be read and
 * recorded in the store's device status outbox (the point from which the sync delivers it) — with every device
 * healthy, then with some devices unreachable (connection refused) and some hanging (a server that accepts and never
 * answers, as a powered-down device behind a switch does).
 */
public final class DeviceTwinsBench {
  private static final int UNIT = 1;

  private DeviceTwinsBench() {}

  public static void run(int devices, int failing, int changes, int workers) throws Exception {
    Path dir = Files.createTempDirectory("outpost-device-bench-");
    int port = Ports.free();
    SimpleProcessImage image = new SimpleProcessImage(UNIT);
    for (int i = 0; i < devices * 2; i++) {
      image.addRegister(new SimpleRegister(100));
    }
    ModbusSlave slave = ModbusSlaveFactory.createTCPSlave(InetAddress.getLoopbackAddress(), port, 8, false);
    slave.addProcessImage(UNIT, image);
    slave.open();
    java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    XodusEdgeStore store = new XodusEdgeStore(dir.resolve("store"));
    DeviceTwins twins = null;
    try {
      long seq = 1;
      store.apply(new Change.ResyncBegin(new SyncPosition(1, seq)));
      store.apply(new Change.Put(new SyncPosition(1, ++seq), new ObjectRef("DeviceModel", "bench", "meter",
          "m", "1"), new DeviceModelV1("modbus", List.of(
              new DeviceModelV1.ModelPropertyV1("power", "INT", "ReadOnly", null, null, "W"),
              new DeviceModelV1.ModelPropertyV1("limit", "INT", "ReadWrite", "0", "65535", "W")))));
      for (int i = 0; i < devices; i++) {
        store.apply(new Change.Put(new SyncPosition(1, ++seq), ref("meter-" + i), device(port, i)));
      }
      int closed = Ports.free();
      for (int i = 0; i < failing; i++) {
        // Half refuse connections, half accept and never answer (each read waits for the 1 s timeout).
        int target = i % 2 == 0 ? closed : silent.getLocalPort();
        store.apply(new Change.Put(new SyncPosition(1, ++seq), ref("broken-" + i), device(target, 0)));
      }
      store.apply(new Change.ResyncEnd(new SyncPosition(1, ++seq)));

      AtomicLong reads = new AtomicLong();
      ModbusDriver modbus = new ModbusDriver();
      DriverRegistry drivers = new DriverRegistry();
      drivers.addDriver(new ProtocolDriver() {
        @Override
        public String protocol() {
          return modbus.protocol();
        }

        @Override
        public String read(Map<String, String> protocol, Map<String, String> visitor) throws DriverException {
          reads.incrementAndGet();
          return modbus.read(protocol, visitor);
        }

        @Override
        public void write(Map<String, String> protocol, Map<String, String> visitor, String value)
            throws DriverException {
          modbus.write(protocol, visitor, value);
        }
      });
      BlockingQueue<String[]> seen = new LinkedBlockingQueue<>();
      twins = new DeviceTwins(store, store.deviceStatuses(), drivers, config(workers));
      twins.sinks = List.of((TelemetrySink) (ns, device, at, values) -> {
        Object power = values.get("power");
        if (power != null) {
          seen.add(new String[] {device, power.toString()});
        }
      });
      // Warm-up: every healthy device read once.
      java.util.Set<String> online = new java.util.HashSet<>();
      while (online.size() < devices) {
        String[] change = seen.poll(60, TimeUnit.SECONDS);
        if (change == null) {
          throw new IllegalStateException("only " + online.size() + " of " + devices + " devices came online");
        }
        online.add(change[0]);
      }
      long r0 = reads.get();
      long t0 = System.nanoTime();
      List<Long> latencies = new ArrayList<>();
      for (int k = 0; k < changes; k++) {
        int i = k % devices;
        int value = 1000 + k;
        seen.clear();
        long start = System.nanoTime();
        image.getRegister(2 * i).setValue(value);
        while (true) {
          String[] change = seen.poll(60, TimeUnit.SECONDS);
          if (change == null) {
            throw new IllegalStateException("change " + k + " of meter-" + i + " never read");
          }
          if (change[0].equals("meter-" + i) && change[1].equals(Integer.toString(value))) {
            latencies.add(System.nanoTime() - start);
            break;
          }
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      Collections.sort(latencies);
      System.out.printf("devices=%d (2 properties, 100 ms cycle) failing=%d workers=%d changes=%d%n", devices,
          failing, workers, changes);
      System.out.printf("reads/s=%.0f  change->recorded ms: p50=%.0f p90=%.0f p99=%.0f max=%.0f%n",
          (reads.get() - r0) / seconds, ms(latencies, 0.50), ms(latencies, 0.90), ms(latencies, 0.99),
          latencies.get(latencies.size() - 1) / 1e6);
    } finally {
      if (twins != null) {
        twins.deactivate();
      }
      store.close();
      ModbusSlaveFactory.close(slave);
      silent.close();
      Trees.deleteTree(dir);
    }
  }

  private static double ms(List<Long> sorted, double quantile) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(quantile * sorted.size()) - 1)) / 1e6;
  }

  private static ObjectRef ref(String name) {
    return new ObjectRef("Device", "bench", name, "uid-" + name, "1");
  }

  private static DeviceV1 device(int port, int i) {
    Map<String, String> protocol = Map.of("ip", "127.0.0.1", "port", Integer.toString(port), "slaveID",
        Integer.toString(UNIT), "timeout", "1000");
    return new DeviceV1("meter", "modbus", protocol, List.of(
        new DeviceV1.PropertyV1("power", null, Map.of("register", "HoldingRegister", "offset",
            Integer.toString(2 * i)), 100, 100, true),
        new DeviceV1.PropertyV1("limit", null, Map.of("register", "HoldingRegister", "offset",
            Integer.toString(2 * i + 1)), 100, 100, true)));
  }

  private static DevicesConfig config(int workers) {
    return new DevicesConfig() {
      @Override
      public Class<? extends Annotation> annotationType() {
        return DevicesConfig.class;
      }

      @Override
      public String node_name() {
        return "bench-node";
      }

      @Override
      public int devices_workers() {
        return workers;
      }
    };
  }
}
