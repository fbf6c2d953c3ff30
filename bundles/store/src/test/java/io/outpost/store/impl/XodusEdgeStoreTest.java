package io.outpost.store.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceStatusReport;
import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.ConfigMapV1;
import io.outpost.store.Change;
import io.outpost.protocol.EventReport;
import io.outpost.protocol.NodeV1;
import io.outpost.protocol.SecretV1;
import io.outpost.store.OutboxEntry;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.store.ApplyResult;
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
    store = new XodusEdgeStore(dir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  static Change upsert(long epoch, long seq, String name, String uid, String rv) {
    PodV1 pod = new PodV1("edge-1", "Always", null, null, null,
        List.of(new PodV1.ContainerV1("app", "img", null, null, null, null, null)));
    return Changes.put(epoch, seq, new ObjectRef("Pod", "ns", name, uid, rv), pod);
  }

  private void begin(long seq) {
    assertThat(store.applyTracked(Changes.begin(EPOCH, seq)).result().outcome())
        .isEqualTo(Outcome.SYNC_STARTED);
  }

  @Test
  void appliesInOrderAndSurvivesReopen() {
    begin(10);
    assertThat(store.applyTracked(upsert(EPOCH, 11, "a", "u1", "5")).result().outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(store.applyTracked(upsert(EPOCH, 12, "b", "u2", "6")).result().outcome()).isEqualTo(Outcome.APPLIED);
    store.close();
    store = new XodusEdgeStore(dir);
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

  @Test
  void newContentUnderTheSameVersionIsAppliedTheSameContentIsNot() {
    // A SiteNetwork is versioned as its node's Node: a peer's new range changes it, not the version.
    begin(1);
    store.applyTracked(hashed(upsert(EPOCH, 2, "a", "u1", "50"), "0".repeat(32)));
    assertThat(store.applyTracked(hashed(upsert(EPOCH, 3, "a", "u1", "50"), "1".repeat(32))).result().outcome())
        .isEqualTo(Outcome.APPLIED);
    assertThat(store.held()).extracting(ObjectRef::hash).containsExactly("1".repeat(32));
    assertThat(store.applyTracked(hashed(upsert(EPOCH, 4, "a", "u1", "50"), "1".repeat(32))).result().outcome())
        .as("the same content again").isEqualTo(Outcome.STALE);
    assertThat(store.applyTracked(hashed(upsert(EPOCH, 5, "a", "u1", "49"), "2".repeat(32))).result().outcome())
        .as("an older version, whatever its content").isEqualTo(Outcome.STALE);
    assertThat(store.held()).extracting(ObjectRef::hash).containsExactly("1".repeat(32));
  }

  private static Change hashed(Change change, String hash) {
    Change.Put put = (Change.Put) change;
    return Changes.put(put.at().epoch(), put.at().seq(), put.ref().withHash(hash), put.spec());
  }

  private XodusEdgeStore.Applied end(long seq) {
    XodusEdgeStore.Applied applied = store.applyTracked(Changes.end(EPOCH, seq));
    assertThat(applied.result().outcome()).isEqualTo(Outcome.SYNC_ENDED);
    return applied;
  }

  private static Change delete(long seq, String name, String uid) {
    return Changes.remove(EPOCH, seq, new ObjectRef("Pod", "ns", name, uid, "99"));
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
    store = new XodusEdgeStore(dir);
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
    store.applyTracked(Changes.put(EPOCH, 2, new ObjectRef("ConfigMap", "ns", "cfg", "c1", "1"),
        new ConfigMapV1(Map.of("mode", "edge"), null)));
    store.applyTracked(Changes.put(EPOCH, 3, new ObjectRef("Secret", "ns", "db", "s1", "1"),
        new SecretV1("Opaque", Map.of("pw", "c2VjcmV0"))));
    store.applyTracked(Changes.put(EPOCH, 4, new ObjectRef("Node", null, "edge-1", "n1", "1"),
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
    store = new XodusEdgeStore(dir, 3);
    assertThat(store.events().record(event("u1", "Pulled", "t1"))).isTrue();
    assertThat(store.events().record(event("u1", "Created", "t2"))).isTrue();
    assertThat(store.events().record(event("u1", "Started", "t3"))).isTrue();
    assertThat(store.events().dropped()).isZero();
    assertThat(store.events().record(event("u2", "Pulled", "t4"))).isTrue();
    assertThat(store.events().dropped()).isEqualTo(1);
    assertThat(store.events().pending(10)).extracting(e -> e.report().reason())
        .containsExactly("Created", "Started", "Pulled");
    store.close();
    store = new XodusEdgeStore(dir, 3);
    assertThat(store.events().depth()).isEqualTo(3);
    assertThat(store.events().dropped()).isEqualTo(1);
  }

  @Test
  void aRepeatRaisesTheCountAndADeliveryOfTheOlderCountKeepsIt() {
    store.events().record(event("u1", "BackOff", "t1"));
    OutboxEntry<EventReport> first = store.events().pending(1).get(0);
    store.events().record(event("u1", "BackOff", "t2"));
    assertThat(store.events().depth()).isEqualTo(1);
    store.events().delivered(first);
    OutboxEntry<EventReport> merged = store.events().pending(1).get(0);
    assertThat(merged.report().count()).isEqualTo(2);
    assertThat(merged.report().lastTimestamp()).isEqualTo("t2");
    assertThat(merged.report().id()).isEqualTo(first.report().id());
    store.events().delivered(merged);
    assertThat(store.events().depth()).isZero();
  }

  @Test
  void aRepeatCountedByTheEdgeUnderTheSameIdReplacesTheEntryAndSurvivesDelivery() {
    ObjectRef ref = new ObjectRef("Pod", "ns", "a", "u1", "1");
    EventReport once = new EventReport(1, "edge-1", "00000000000000a1", ref, "Warning", "BackOff", "m", 1, "t1", "t1",
        "spec.containers{web}");
    store.events().record(once);
    OutboxEntry<EventReport> sent = store.events().pending(1).get(0);
    store.events().delivered(sent); // delivered: the bridge holds count 1
    store.events().record(once.repeated(2, "t2"));
    store.events().record(once.repeated(3, "t3"));
    store.events().record(once.repeated(2, "t2")); // an older count arriving late never lowers it
    assertThat(store.events().pending(10)).singleElement().satisfies(p -> {
      assertThat(p.report().id()).isEqualTo("00000000000000a1");
      assertThat(p.report().count()).isEqualTo(3);
      assertThat(p.report().firstTimestamp()).isEqualTo("t1");
      assertThat(p.report().lastTimestamp()).isEqualTo("t3");
      assertThat(p.report().fieldPath()).isEqualTo("spec.containers{web}");
    });
    EventReport otherContainer = new EventReport(1, "edge-1", "00000000000000a2", ref, "Warning", "BackOff", "m", 1,
        "t4", "t4", "spec.containers{sidecar}");
    store.events().record(otherContainer);
    assertThat(store.events().depth()).as("another container's event is another event").isEqualTo(2);
  }

  @Test
  void outboxCoalescesStatusPerPod() {
    ObjectRef ref = new ObjectRef("Pod", "ns", "a", "u1", "5");
    PodStatusReport pending = new PodStatusReport(1, "edge-1", ref, "Pending", null, null, null, null, null,
        List.of(), false);
    PodStatusReport running = new PodStatusReport(1, "edge-1", ref, "Running", null, null, null, null, null,
        List.of(), false);
    assertThat(store.podStatuses().record(pending)).isTrue();
    assertThat(store.podStatuses().record(pending)).isFalse();
    assertThat(store.podStatuses().record(running)).isTrue();
    assertThat(store.podStatuses().pending(10)).singleElement().satisfies(p -> {
      assertThat(p.report().phase()).isEqualTo("Running");
      store.podStatuses().delivered(new OutboxEntry<>(p.key(), p.version() - 1, p.report()));
      assertThat(store.podStatuses().depth()).isEqualTo(1);
      store.podStatuses().delivered(p);
    });
    assertThat(store.podStatuses().depth()).isZero();
    assertThat(store.podStatuses().record(running)).isFalse();
  }

  @Test
  void devicesTheirModelsAndTheirCoalescedStatusSurviveReopen() {
    begin(1);
    ObjectRef modelRef = new ObjectRef("DeviceModel", "plant", "thermostat", "m1", "3");
    ObjectRef deviceRef = new ObjectRef("Device", "plant", "boiler", "d1", "4");
    DeviceModelV1 model = new DeviceModelV1("modbus", List.of(new DeviceModelV1.ModelPropertyV1("temperature",
        "INT", "ReadOnly", null, null, "celsius")));
    DeviceV1 device = new DeviceV1("thermostat", "modbus", Map.of("ip", "10.0.0.7"), List.of(
        new DeviceV1.PropertyV1("temperature", null, Map.of("offset", "0"), 1000, 1000, true)));
    store.apply(Changes.put(EPOCH, 2, modelRef, model));
    store.apply(Changes.put(EPOCH, 3, deviceRef, device));
    DeviceStatusReport read = deviceStatus(deviceRef, "215");
    assertThat(store.deviceStatuses().record(read)).isTrue();
    assertThat(store.deviceStatuses().record(read)).as("equal to the last: ignored").isFalse();
    assertThat(store.deviceStatuses().record(deviceStatus(deviceRef, "216"))).isTrue();
    assertThat(store.deviceStatuses().depth()).as("coalesced per device").isEqualTo(1);
    assertThat(store.podStatuses().depth()).as("pod statuses apart").isZero();

    store.close();
    store = new XodusEdgeStore(dir);
    assertThat(store.devices()).singleElement().satisfies(d -> {
      assertThat(d.ref()).isEqualTo(deviceRef);
      assertThat(d.device()).isEqualTo(device);
    });
    assertThat(store.pods()).isEmpty();
    assertThat(store.deviceModel("plant", "thermostat")).contains(model);
    assertThat(store.deviceStatuses().last("d1")).contains(deviceStatus(deviceRef, "216"));
    assertThat(store.deviceStatuses().pending(10)).singleElement().satisfies(p -> {
      assertThat(p.report().twins().get(0).reported()).isEqualTo("216");
      store.deviceStatuses().delivered(p);
    });
    assertThat(store.deviceStatuses().depth()).isZero();
    assertThat(store.podStatuses().requeue() + store.deviceStatuses().requeue())
        .as("a new bridge session gets it again").isEqualTo(1);
    store.deviceStatuses().forget("d1");
    assertThat(store.deviceStatuses().depth()).isZero();
    assertThat(store.deviceStatuses().last("d1")).isEmpty();
  }

  private static DeviceStatusReport deviceStatus(ObjectRef ref, String value) {
    return new DeviceStatusReport(1, "edge-1", ref, DeviceStatusReport.ONLINE, null, null, "2026-12-02T10:00:00Z",
        List.of(new DeviceStatusReport.TwinV1("temperature", value, "2026-12-02T10:00:01Z", null, null, null)));
  }

  @Test
  void statusesDeliveredBeforeCanBeOfferedAgain() {
    ObjectRef ref = new ObjectRef("Pod", "ns", "a", "u1", "5");
    store.podStatuses().record(new PodStatusReport(1, "edge-1", ref, "Running", null, null, null, null, null, List.of(),
        false));
    OutboxEntry<PodStatusReport> first = store.podStatuses().pending(1).get(0);
    store.podStatuses().delivered(first);
    assertThat(store.podStatuses().depth()).isZero();
    assertThat((store.podStatuses().requeue() + store.deviceStatuses().requeue())).isEqualTo(1);
    assertThat((store.podStatuses().requeue() + store.deviceStatuses().requeue())).as("already pending").isZero();
    assertThat(store.podStatuses().pending(1)).singleElement()
        .satisfies(p -> assertThat(p.report()).isEqualTo(first.report()));
  }

  @Test
  void aBatchAppliesLikeSingleMessagesInOneTransaction() {
    begin(1);
    List<ApplyResult> results = store.applyAll(List.of(
        upsert(EPOCH, 2, "a", "u1", "5"), upsert(EPOCH, 2, "b", "u2", "5"), upsert(EPOCH, 3, "c", "u3", "5"),
        upsert(EPOCH, 5, "d", "u4", "5")));
    assertThat(results).extracting(ApplyResult::outcome)
        .containsExactly(Outcome.APPLIED, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.GAP);
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH, 3));
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactlyInAnyOrder("a", "c");
  }

  @Test
  void aResyncAnswerFromAnOlderEpochStartsTheStreamSoABridgeClockSteppingBackCannotStrandTheNode() {
    begin(1);
    store.applyTracked(upsert(EPOCH, 2, "a", "u1", "5"));
    assertThat(store.applyTracked(Changes.begin(EPOCH - 500, 1)).result().outcome())
        .isEqualTo(Outcome.SYNC_STARTED);
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH - 500, 1));
    assertThat(store.applyTracked(upsert(EPOCH - 500, 2, "b", "u2", "6")).result().outcome()).isEqualTo(Outcome.APPLIED);
  }
}
