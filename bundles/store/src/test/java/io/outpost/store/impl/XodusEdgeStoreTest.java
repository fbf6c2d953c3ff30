package io.outpost.store.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.Codec;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.SecretV1;
import io.outpost.store.PendingEvent;
import io.outpost.store.PendingStatus;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.store.ApplyResult.Outcome;
import io.outpost.store.SyncPosition;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XodusEdgeStoreTest {
  private static final long EPOCH = 1000;
  @TempDir Path dir;
  private XodusEdgeStore store;

  @BeforeEach
  void open() {
    store = new XodusEdgeStore(dir, new Codec());
  }

  @AfterEach
  void close() {
    store.close();
  }

  static Downstream upsert(long epoch, long seq, String name, String uid, String rv) {
    PodV1 pod = new PodV1("edge-1", "Always", null, null, null,
        List.of(new PodV1.ContainerV1("app", "img", null, null, null, null, null)));
    return Downstream.upsertPod(epoch, seq, new ObjectRef("Pod", "ns", name, uid, rv), pod);
  }

  private void begin(long seq) {
    assertThat(store.applyTracked(Downstream.marker(EPOCH, seq, Downstream.Op.SYNC_BEGIN, "c")).result().outcome())
        .isEqualTo(Outcome.SYNC_STARTED);
  }

  @Test
  void appliesInOrderAndSurvivesReopen() {
    begin(10);
    assertThat(store.applyTracked(upsert(EPOCH, 11, "a", "u1", "5")).result().outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(store.applyTracked(upsert(EPOCH, 12, "b", "u2", "6")).result().outcome()).isEqualTo(Outcome.APPLIED);
    store.close();
    store = new XodusEdgeStore(dir, new Codec());
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH, 12));
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void dropsDuplicatesAndDetectsGapsWithoutChangingAnything() {
    begin(1);
    store.applyTracked(upsert(EPOCH, 2, "a", "u1", "5"));
    assertThat(store.applyTracked(upsert(EPOCH, 2, "a", "u1", "9")).result().outcome()).isEqualTo(Outcome.DUPLICATE);
    assertThat(store.applyTracked(upsert(EPOCH, 4, "c", "u3", "9")).result().outcome()).isEqualTo(Outcome.GAP);
    assertThat(store.applyTracked(upsert(EPOCH + 1, 3, "c", "u3", "9")).result().outcome()).isEqualTo(Outcome.GAP);
    assertThat(store.applyTracked(upsert(EPOCH - 1, 3, "c", "u3", "9")).result().outcome()).isEqualTo(Outcome.OLD_EPOCH);
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH, 2));
    assertThat(store.held()).extracting(ObjectRef::resourceVersion).containsExactly("5");
  }

  @Test
  void staleResourceVersionAdvancesSequenceButKeepsNewerObject() {
    begin(1);
    store.applyTracked(upsert(EPOCH, 2, "a", "u1", "50"));
    assertThat(store.applyTracked(upsert(EPOCH, 3, "a", "u1", "40")).result().outcome()).isEqualTo(Outcome.STALE);
    assertThat(store.position().seq()).isEqualTo(3);
    assertThat(store.held()).extracting(ObjectRef::resourceVersion).containsExactly("50");
    // A pod recreated under the same name has a new uid: its version is not comparable, it replaces the old one.
    assertThat(store.applyTracked(upsert(EPOCH, 4, "a", "u9", "7")).result().outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(store.held()).extracting(ObjectRef::uid).containsExactly("u9");
  }

  private XodusEdgeStore.Applied end(long seq) {
    XodusEdgeStore.Applied applied = store.applyTracked(Downstream.marker(EPOCH, seq, Downstream.Op.SYNC_END, "c"));
    assertThat(applied.result().outcome()).isEqualTo(Outcome.SYNC_ENDED);
    return applied;
  }

  private static Downstream delete(long seq, String name, String uid) {
    return Downstream.delete(EPOCH, seq, new ObjectRef("Pod", "ns", name, uid, "99"));
  }

  @Test
  void deletesObjectsInTheLiveStream() {
    begin(1);
    store.applyTracked(upsert(EPOCH, 2, "a", "u1", "5"));
    end(3);
    XodusEdgeStore.Applied applied = store.applyTracked(delete(4, "a", "u1"));
    assertThat(applied.changedKeys()).containsExactly("Pod/ns/a");
    assertThat(store.pods()).isEmpty();
  }

  @Test
  void deletesOfAResyncTakeEffectOnlyAtItsEnd() {
    begin(1);
    store.applyTracked(upsert(EPOCH, 2, "a", "u1", "5"));
    store.applyTracked(upsert(EPOCH, 3, "b", "u2", "5"));
    end(4);
    begin(10);
    XodusEdgeStore.Applied deferred = store.applyTracked(delete(11, "a", "u1"));
    assertThat(deferred.result().outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(deferred.changedKeys()).isEmpty();
    // Still running (pods), but no longer claimed in the digest (held).
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactlyInAnyOrder("a", "b");
    assertThat(store.held()).extracting(ObjectRef::name).containsExactly("b");
    assertThat(end(12).changedKeys()).containsExactly("Pod/ns/a");
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactly("b");
  }

  @Test
  void aResyncCutShortRemovesNothingUntilTheNextOneEnds() {
    begin(1);
    store.applyTracked(upsert(EPOCH, 2, "a", "u1", "5"));
    store.applyTracked(upsert(EPOCH, 3, "b", "u2", "5"));
    end(4);
    begin(10);
    store.applyTracked(delete(11, "a", "u1"));
    store.applyTracked(delete(12, "b", "u2"));
    store.close(); // the link drops (or the node crashes) before SYNC_END
    store = new XodusEdgeStore(dir, new Codec());
    assertThat(store.pods()).hasSize(2);
    begin(20);
    // The cloud recreated b meanwhile: an upsert cancels its pending delete.
    store.applyTracked(upsert(EPOCH, 21, "b", "u2", "7"));
    assertThat(end(22).changedKeys()).containsExactly("Pod/ns/a");
    assertThat(store.pods()).extracting(p -> p.ref().resourceVersion()).containsExactly("7");
  }

  @Test
  void holdsConfigMapsSecretsAndItsNode() {
    begin(1);
    store.applyTracked(Downstream.upsertConfigMap(EPOCH, 2, new ObjectRef("ConfigMap", "ns", "cfg", "c1", "1"),
        new ConfigMapV1(Map.of("mode", "edge"), null)));
    store.applyTracked(Downstream.upsertSecret(EPOCH, 3, new ObjectRef("Secret", "ns", "db", "s1", "1"),
        new SecretV1("Opaque", Map.of("pw", "c2VjcmV0"))));
    store.applyTracked(Downstream.upsertNode(EPOCH, 4, new ObjectRef("Node", null, "edge-1", "n1", "1"),
        new NodeV1(Map.of("site", "7"), null, true)));
    end(5);
    assertThat(store.configMap("ns", "cfg")).get().extracting(c -> c.text("mode")).isEqualTo("edge");
    assertThat(store.secret("ns", "db")).get().extracting(s -> s.text("pw")).isEqualTo("secret");
    assertThat(store.node("edge-1")).get().extracting(NodeV1::unschedulable).isEqualTo(true);
    assertThat(store.configMap("other", "cfg")).isEmpty();
    assertThat(store.pods()).isEmpty();
    assertThat(store.held()).hasSize(3);
  }

  private static EventReport event(String uid, String reason, String at) {
    return new EventReport(1, "edge-1", String.format("%016x", at.hashCode() & 0xffffffffL),
        new ObjectRef("Pod", "ns", "a", uid, "1"), "Normal", reason, "m", 1, at, at);
  }

  @Test
  void eventsAreBoundedDroppingTheOldestAndCountingIt() {
    store.close();
    store = new XodusEdgeStore(dir, new Codec(), 3);
    assertThat(store.recordEvent(event("u1", "Pulled", "t1"))).isZero();
    assertThat(store.recordEvent(event("u1", "Created", "t2"))).isZero();
    assertThat(store.recordEvent(event("u1", "Started", "t3"))).isZero();
    assertThat(store.recordEvent(event("u2", "Pulled", "t4"))).isEqualTo(1);
    assertThat(store.eventsDropped()).isEqualTo(1);
    assertThat(store.pendingEvents(10)).extracting(e -> e.event().reason())
        .containsExactly("Created", "Started", "Pulled");
    store.close();
    store = new XodusEdgeStore(dir, new Codec(), 3);
    assertThat(store.eventDepth()).isEqualTo(3);
    assertThat(store.eventsDropped()).isEqualTo(1);
  }

  @Test
  void aRepeatRaisesTheCountAndADeliveryOfTheOlderCountKeepsIt() {
    store.recordEvent(event("u1", "BackOff", "t1"));
    PendingEvent first = store.pendingEvents(1).get(0);
    store.recordEvent(event("u1", "BackOff", "t2"));
    assertThat(store.eventDepth()).isEqualTo(1);
    store.eventDelivered(first);
    PendingEvent merged = store.pendingEvents(1).get(0);
    assertThat(merged.event().count()).isEqualTo(2);
    assertThat(merged.event().lastTimestamp()).isEqualTo("t2");
    assertThat(merged.event().id()).isEqualTo(first.event().id());
    store.eventDelivered(merged);
    assertThat(store.eventDepth()).isZero();
  }

  @Test
  void aRepeatCountedByTheEdgeUnderTheSameIdReplacesTheEntryAndSurvivesDelivery() {
    ObjectRef ref = new ObjectRef("Pod", "ns", "a", "u1", "1");
    EventReport once = new EventReport(1, "edge-1", "00000000000000a1", ref, "Warning", "BackOff", "m", 1, "t1", "t1",
        "spec.containers{web}");
    store.recordEvent(once);
    PendingEvent sent = store.pendingEvents(1).get(0);
    store.eventDelivered(sent); // delivered: the bridge holds count 1
    store.recordEvent(once.repeated(2, "t2"));
    store.recordEvent(once.repeated(3, "t3"));
    store.recordEvent(once.repeated(2, "t2")); // an older count arriving late never lowers it
    assertThat(store.pendingEvents(10)).singleElement().satisfies(p -> {
      assertThat(p.event().id()).isEqualTo("00000000000000a1");
      assertThat(p.event().count()).isEqualTo(3);
      assertThat(p.event().firstTimestamp()).isEqualTo("t1");
      assertThat(p.event().lastTimestamp()).isEqualTo("t3");
      assertThat(p.event().fieldPath()).isEqualTo("spec.containers{web}");
    });
    EventReport otherContainer = new EventReport(1, "edge-1", "00000000000000a2", ref, "Warning", "BackOff", "m", 1,
        "t4", "t4", "spec.containers{sidecar}");
    store.recordEvent(otherContainer);
    assertThat(store.eventDepth()).as("another container's event is another event").isEqualTo(2);
  }

  @Test
  void outboxCoalescesStatusPerPod() {
    ObjectRef ref = new ObjectRef("Pod", "ns", "a", "u1", "5");
    PodStatusReport pending = new PodStatusReport(1, "edge-1", ref, "Pending", null, null, null, null, null,
        List.of(), false);
    PodStatusReport running = new PodStatusReport(1, "edge-1", ref, "Running", null, null, null, null, null,
        List.of(), false);
    assertThat(store.recordStatus(pending)).isTrue();
    assertThat(store.recordStatus(pending)).isFalse();
    assertThat(store.recordStatus(running)).isTrue();
    assertThat(store.pendingStatuses(10)).singleElement().satisfies(p -> {
      assertThat(p.report().phase()).isEqualTo("Running");
      store.statusDelivered(p.uid(), p.version() - 1);
      assertThat(store.outboxDepth()).isEqualTo(1);
      store.statusDelivered(p.uid(), p.version());
    });
    assertThat(store.outboxDepth()).isZero();
    assertThat(store.recordStatus(running)).isFalse();
  }

  @Test
  void devicesTheirModelsAndTheirCoalescedStatusSurviveReopen() {
    begin(1);
    ObjectRef modelRef = new ObjectRef(Downstream.KIND_DEVICE_MODEL, "plant", "thermostat", "m1", "3");
    ObjectRef deviceRef = new ObjectRef(Downstream.KIND_DEVICE, "plant", "boiler", "d1", "4");
    DeviceModelV1 model = new DeviceModelV1("modbus", List.of(new DeviceModelV1.ModelPropertyV1("temperature",
        "INT", "ReadOnly", null, null, "celsius")));
    DeviceV1 device = new DeviceV1("thermostat", "modbus", Map.of("ip", "10.0.0.7"), List.of(
        new DeviceV1.PropertyV1("temperature", null, Map.of("offset", "0"), 1000, 1000, true)));
    store.apply(Downstream.upsertDeviceModel(EPOCH, 2, modelRef, model));
    store.apply(Downstream.upsertDevice(EPOCH, 3, deviceRef, device));
    DeviceStatusReport read = deviceStatus(deviceRef, "215");
    assertThat(store.recordDeviceStatus(read)).isTrue();
    assertThat(store.recordDeviceStatus(read)).as("equal to the last: ignored").isFalse();
    assertThat(store.recordDeviceStatus(deviceStatus(deviceRef, "216"))).isTrue();
    assertThat(store.deviceOutboxDepth()).as("coalesced per device").isEqualTo(1);
    assertThat(store.outboxDepth()).as("pod statuses apart").isZero();

    store.close();
    store = new XodusEdgeStore(dir, new Codec());
    assertThat(store.devices()).singleElement().satisfies(d -> {
      assertThat(d.ref()).isEqualTo(deviceRef);
      assertThat(d.device()).isEqualTo(device);
    });
    assertThat(store.pods()).isEmpty();
    assertThat(store.deviceModel("plant", "thermostat")).contains(model);
    assertThat(store.lastDeviceStatus("d1")).contains(deviceStatus(deviceRef, "216"));
    assertThat(store.pendingDeviceStatuses(10)).singleElement().satisfies(p -> {
      assertThat(p.report().twins().get(0).reported()).isEqualTo("216");
      store.deviceStatusDelivered(p.uid(), p.version());
    });
    assertThat(store.deviceOutboxDepth()).isZero();
    assertThat(store.requeueStatuses()).as("a new bridge session gets it again").isEqualTo(1);
    store.forgetDeviceStatus("d1");
    assertThat(store.deviceOutboxDepth()).isZero();
    assertThat(store.lastDeviceStatus("d1")).isEmpty();
  }

  private static DeviceStatusReport deviceStatus(ObjectRef ref, String value) {
    return new DeviceStatusReport(1, "edge-1", ref, DeviceStatusReport.ONLINE, null, null, "2026-12-02T10:00:00Z",
        List.of(new DeviceStatusReport.TwinV1("temperature", value, "2026-12-02T10:00:01Z", null, null, null)));
  }

  @Test
  void statusesDeliveredBeforeCanBeOfferedAgain() {
    ObjectRef ref = new ObjectRef("Pod", "ns", "a", "u1", "5");
    store.recordStatus(new PodStatusReport(1, "edge-1", ref, "Running", null, null, null, null, null, List.of(),
        false));
    PendingStatus first = store.pendingStatuses(1).get(0);
    store.statusDelivered(first.uid(), first.version());
    assertThat(store.outboxDepth()).isZero();
    assertThat(store.requeueStatuses()).isEqualTo(1);
    assertThat(store.requeueStatuses()).as("already pending").isZero();
    assertThat(store.pendingStatuses(1)).singleElement()
        .satisfies(p -> assertThat(p.report()).isEqualTo(first.report()));
  }

  @Test
  void aBatchAppliesLikeSingleMessagesInOneTransaction() {
    begin(1);
    List<XodusEdgeStore.Applied> results = store.applyAll(List.of(
        upsert(EPOCH, 2, "a", "u1", "5"), upsert(EPOCH, 2, "b", "u2", "5"), upsert(EPOCH, 3, "c", "u3", "5"),
        upsert(EPOCH, 5, "d", "u4", "5")));
    assertThat(results).extracting(r -> r.result().outcome())
        .containsExactly(Outcome.APPLIED, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.GAP);
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH, 3));
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactlyInAnyOrder("a", "c");
  }

  @Test
  void aResyncAnswerFromAnOlderEpochStartsTheStreamSoABridgeClockSteppingBackCannotStrandTheNode() {
    begin(1);
    store.applyTracked(upsert(EPOCH, 2, "a", "u1", "5"));
    assertThat(store.applyTracked(Downstream.marker(EPOCH - 500, 1, Downstream.Op.SYNC_BEGIN, "c2")).result().outcome())
        .isEqualTo(Outcome.SYNC_STARTED);
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH - 500, 1));
    assertThat(store.applyTracked(upsert(EPOCH - 500, 2, "b", "u2", "6")).result().outcome()).isEqualTo(Outcome.APPLIED);
  }
}
