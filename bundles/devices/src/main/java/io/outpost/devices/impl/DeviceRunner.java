package io.outpost.devices.impl;

import io.outpost.devices.DriverException;
import io.outpost.devices.ProtocolDriver;
import io.outpost.protocol.Codec;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceModelV1.ModelPropertyV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.DeviceStatusReport.TwinV1;
import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.DeviceV1.PropertyV1;
import io.outpost.store.StoredDevice;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The twins of one Device. A pass writes each desired value the device does not have yet (checked against the
 * model first), reads each property that is due, and says when the next pass is due: the earliest property's
 * collect cycle, or — when the device is unreachable — a backed-off retry (1 s doubling to 60 s, with jitter), so a
 * dead device costs little. Passes of one device never overlap ({@code synchronized}); state lives here, its last
 * report in the edge store, from which a restarted node or reinstalled module continues (no desired value is
 * written twice).
 */
final class DeviceRunner {
  private static final Logger LOG = LoggerFactory.getLogger(DeviceRunner.class);
  static final Duration DEFAULT_CYCLE = Duration.ofSeconds(1);
  static final Duration MIN_CYCLE = Duration.ofMillis(100);
  static final Duration CONFIG_RETRY = Duration.ofSeconds(30);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

  /** What the pass needs from outside: the model, the driver, the clock. */
  interface Context {
    Optional<DeviceModelV1> model(String namespace, String name);

    Optional<ProtocolDriver> driver(String protocol);

    List<String> protocols();
  }

  /** One property's twin: last value read, when it changed, the desired value written, and the last failure. */
  private static final class Twin {
    String reported;
    String reportedAt;
    String observedDesired;
    String readReason;
    String readMessage;
    String writeReason;
    String writeMessage;
    Instant nextRead = Instant.MIN;
  }

  /** What one pass did: when the next is due, and the values that changed (typed by the model). */
  record Outcome(Duration next, Map<String, Object> changed) {}

  private final String node;
  private final Clock clock;
  private volatile StoredDevice device;
  private final Map<String, Twin> twins = new HashMap<>();
  private volatile String state = DeviceStatusReport.UNKNOWN;
  private String lastOnlineTime;
  private int failures;
  private DeviceStatusReport lastRecorded;
  private Instant lastRecordedAt = Instant.MIN;
  private boolean stopped;

  DeviceRunner(String node, Clock clock, StoredDevice device, Optional<DeviceStatusReport> last) {
    this.node = node;
    this.clock = clock;
    this.device = device;
    last.ifPresent(report -> {
      lastRecorded = report;
      state = report.state();
      lastOnlineTime = report.lastOnlineTime();
      if (report.twins() != null) {
        for (TwinV1 saved : report.twins()) {
          Twin twin = twins.computeIfAbsent(saved.property(), p -> new Twin());
          twin.reported = saved.reported();
          twin.reportedAt = saved.reportedAt();
          twin.observedDesired = saved.observedDesired();
        }
      }
    });
  }

  StoredDevice device() {
    return device;
  }

  /** True while the device is unreachable: its passes may wait for the driver's timeout. */
  boolean offline() {
    return DeviceStatusReport.OFFLINE.equals(state);
  }

  void update(StoredDevice newer) {
    this.device = newer;
  }

  /** Ends this runner: no pass records anything after {@code then} (e.g. forgetting its status) ran. */
  synchronized void stop(Runnable then) {
    stopped = true;
    then.run();
  }

  /**
   * One pass; {@code record} receives the device's report when it changed and its report cycle allows (a state
   * change is always recorded at once).
   */
  synchronized Outcome pass(Context context, java.util.function.Consumer<DeviceStatusReport> record) {
    if (stopped) {
      return new Outcome(CONFIG_RETRY, Map.of());
    }
    StoredDevice current = device;
    DeviceV1 spec = current.device();
    Instant now = clock.instant();
    String ns = current.ref().namespace();
    Optional<DeviceModelV1> model = spec.model() == null ? Optional.empty() : context.model(ns, spec.model());
    String protocol = spec.protocol() != null ? spec.protocol() : model.map(DeviceModelV1::protocol).orElse(null);
    Optional<ProtocolDriver> driver = protocol == null ? Optional.empty() : context.driver(protocol);
    Map<String, Object> changed = new LinkedHashMap<>();
    String reason = null;
    String message = null;
    Duration next;
    if (model.isEmpty()) {
      reason = "model_not_found";
      message = spec.model() == null ? "the Device names no deviceModelRef" : "DeviceModel " + ns + "/"
          + spec.model() + " is not on this node";
      state = DeviceStatusReport.UNKNOWN;
      next = CONFIG_RETRY;
    } else if (driver.isEmpty()) {
      reason = "unknown_protocol";
      message = protocol == null ? "neither the Device nor its model names a protocol"
          : "no driver for protocol '" + protocol + "' on this node (installed: " + context.protocols() + ")";
      state = DeviceStatusReport.UNKNOWN;
      next = CONFIG_RETRY;
    } else {
      next = serve(spec, model.get(), driver.get(), now, changed);
      if (DeviceStatusReport.OFFLINE.equals(state)) {
        reason = "unreachable";
        message = firstFailure();
      }
    }
    DeviceStatusReport report = report(current, spec, reason, message);
    Duration reportCycle = reportCycle(spec);
    boolean stateChanged = lastRecorded == null || !state.equals(lastRecorded.state());
    if (!report.equals(lastRecorded) && (stateChanged || !now.isBefore(lastRecordedAt.plus(reportCycle)))) {
      record.accept(report);
      lastRecorded = report;
      lastRecordedAt = now;
      if (stateChanged) {
        LOG.info("Device {} on {}: {}{}", current.ref().key(), node, state, reason == null ? "" : " (" + reason
            + ": " + message + ")");
      }
    } else if (!report.equals(lastRecorded)) {
      Duration untilReport = Duration.between(now, lastRecordedAt.plus(reportCycle));
      next = next.compareTo(untilReport) < 0 ? next : untilReport; // the newest values go out when the cycle allows
    }
    return new Outcome(next, changed);
  }

  /** Writes and reads the properties; returns when the next pass is due. */
  private Duration serve(DeviceV1 spec, DeviceModelV1 model, ProtocolDriver driver, Instant now,
      Map<String, Object> changed) {
    Map<String, ModelPropertyV1> types = new HashMap<>();
    if (model.properties() != null) {
      model.properties().forEach(p -> types.put(p.name(), p));
    }
    Map<String, String> protocolConfig = spec.protocolConfig() == null ? Map.of() : spec.protocolConfig();
    boolean unreachable = false;
    int reads = 0;
    Instant due = now.plus(CONFIG_RETRY);
    for (PropertyV1 property : properties(spec)) {
      Twin twin = twins.computeIfAbsent(property.name(), p -> new Twin());
      ModelPropertyV1 type = types.get(property.name());
      Map<String, String> visitor = property.visitorConfig() == null ? Map.of() : property.visitorConfig();
      if (type == null) {
        twin.readReason = "unknown_property";
        twin.readMessage = property.name() + " is not a property of DeviceModel " + spec.model();
        continue;
      }
      if (property.desired() == null || property.desired().equals(twin.observedDesired)) {
        twin.writeReason = null; // nothing (more) to write: an earlier refusal no longer applies
        twin.writeMessage = null;
      } else if (!unreachable) {
        unreachable = write(driver, protocolConfig, visitor, property, type, twin);
      }
      if (!unreachable && !now.isBefore(twin.nextRead)) {
        try {
          String value = driver.read(protocolConfig, visitor);
          reads++;
          twin.readReason = null;
          twin.readMessage = null;
          if (!Objects.equals(value, twin.reported)) {
            twin.reported = value;
            twin.reportedAt = now.toString();
            changed.put(property.name(), TwinValues.typed(value, type));
          }
        } catch (DriverException e) {
          twin.readReason = e.reason();
          twin.readMessage = e.getMessage();
          unreachable = "unreachable".equals(e.reason());
        }
        twin.nextRead = now.plus(cycle(property.collectCycleMillis()));
      }
      due = twin.nextRead.isBefore(due) ? twin.nextRead : due;
    }
    if (unreachable) {
      state = DeviceStatusReport.OFFLINE;
      failures++;
      long ceiling = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(failures - 1, 16));
      return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
    }
    failures = 0;
    if (reads > 0 && !DeviceStatusReport.ONLINE.equals(state)) {
      state = DeviceStatusReport.ONLINE;
      lastOnlineTime = now.toString();
    }
    Duration next = Duration.between(now, due);
    return next.compareTo(MIN_CYCLE) < 0 ? MIN_CYCLE : next;
  }

  /** Writes the desired value if the model allows it; true if the device turned out unreachable. */
  private static boolean write(ProtocolDriver driver, Map<String, String> protocolConfig, Map<String, String> visitor,
      PropertyV1 property, ModelPropertyV1 type, Twin twin) {
    String[] problem = TwinValues.checkDesired(property.desired(), type);
    if (problem != null) {
      twin.writeReason = problem[0];
      twin.writeMessage = problem[1];
      return false;
    }
    try {
      driver.write(protocolConfig, visitor, property.desired());
      twin.observedDesired = property.desired();
      twin.writeReason = null;
      twin.writeMessage = null;
      twin.nextRead = Instant.MIN; // read back at once
      return false;
    } catch (DriverException e) {
      twin.writeReason = e.reason();
      twin.writeMessage = e.getMessage();
      return "unreachable".equals(e.reason());
    }
  }

  private String firstFailure() {
    return twins.values().stream().map(t -> t.writeMessage != null && "unreachable".equals(t.writeReason)
        ? t.writeMessage : "unreachable".equals(t.readReason) ? t.readMessage : null).filter(Objects::nonNull)
        .findFirst().orElse("the device does not answer");
  }

  private DeviceStatusReport report(StoredDevice current, DeviceV1 spec, String reason, String message) {
    List<TwinV1> list = new ArrayList<>();
    for (PropertyV1 property : properties(spec)) {
      Twin twin = twins.get(property.name());
      if (twin == null) {
        continue;
      }
      boolean writeFailed = twin.writeReason != null;
      // KubeEdge's reportToCloud: the value itself goes up only if asked for; failures always do.
      list.add(new TwinV1(property.name(), property.reportToCloud() ? twin.reported : null,
          property.reportToCloud() ? twin.reportedAt : null, twin.observedDesired,
          writeFailed ? twin.writeReason : twin.readReason, writeFailed ? twin.writeMessage : twin.readMessage));
    }
    return new DeviceStatusReport(Codec.VERSION, node, current.ref(), state, reason, message, lastOnlineTime,
        list.isEmpty() ? null : list);
  }

  private static List<PropertyV1> properties(DeviceV1 spec) {
    return spec.properties() == null ? List.of() : spec.properties();
  }

  private static Duration cycle(long millis) {
    if (millis <= 0) {
      return DEFAULT_CYCLE;
    }
    return Duration.ofMillis(Math.max(MIN_CYCLE.toMillis(), millis));
  }

  /** The shortest report cycle of the device's properties (KubeEdge's default: 1 s). */
  private static Duration reportCycle(DeviceV1 spec) {
    return properties(spec).stream().map(p -> cycle(p.reportCycleMillis())).min(Duration::compareTo)
        .orElse(DEFAULT_CYCLE);
  }
}
