package io.outpost.store.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.store.ApplyResult.Outcome;
import io.outpost.store.SyncPosition;
import java.nio.file.Path;
import java.util.List;
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
    assertThat(store.apply(Downstream.marker(EPOCH, seq, Downstream.Op.SYNC_BEGIN, "c")).result().outcome())
        .isEqualTo(Outcome.SYNC_STARTED);
  }

  @Test
  void appliesInOrderAndSurvivesReopen() {
    begin(10);
    assertThat(store.apply(upsert(EPOCH, 11, "a", "u1", "5")).result().outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(store.apply(upsert(EPOCH, 12, "b", "u2", "6")).result().outcome()).isEqualTo(Outcome.APPLIED);
    store.close();
    store = new XodusEdgeStore(dir, new Codec());
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH, 12));
    assertThat(store.pods()).extracting(p -> p.ref().name()).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void dropsDuplicatesAndDetectsGapsWithoutChangingAnything() {
    begin(1);
    store.apply(upsert(EPOCH, 2, "a", "u1", "5"));
    assertThat(store.apply(upsert(EPOCH, 2, "a", "u1", "9")).result().outcome()).isEqualTo(Outcome.DUPLICATE);
    assertThat(store.apply(upsert(EPOCH, 4, "c", "u3", "9")).result().outcome()).isEqualTo(Outcome.GAP);
    assertThat(store.apply(upsert(EPOCH + 1, 3, "c", "u3", "9")).result().outcome()).isEqualTo(Outcome.GAP);
    assertThat(store.apply(upsert(EPOCH - 1, 3, "c", "u3", "9")).result().outcome()).isEqualTo(Outcome.OLD_EPOCH);
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH, 2));
    assertThat(store.held()).extracting(ObjectRef::resourceVersion).containsExactly("5");
  }

  @Test
  void staleResourceVersionAdvancesSequenceButKeepsNewerObject() {
    begin(1);
    store.apply(upsert(EPOCH, 2, "a", "u1", "50"));
    assertThat(store.apply(upsert(EPOCH, 3, "a", "u1", "40")).result().outcome()).isEqualTo(Outcome.STALE);
    assertThat(store.position().seq()).isEqualTo(3);
    assertThat(store.held()).extracting(ObjectRef::resourceVersion).containsExactly("50");
    // A pod recreated under the same name has a new uid: its version is not comparable, it replaces the old one.
    assertThat(store.apply(upsert(EPOCH, 4, "a", "u9", "7")).result().outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(store.held()).extracting(ObjectRef::uid).containsExactly("u9");
  }

  @Test
  void deletesObjects() {
    begin(1);
    store.apply(upsert(EPOCH, 2, "a", "u1", "5"));
    XodusEdgeStore.Applied applied = store.apply(Downstream.delete(EPOCH, 3, new ObjectRef("Pod", "ns", "a", "u1",
        "6")));
    assertThat(applied.changedKey()).isEqualTo("Pod/ns/a");
    assertThat(store.pods()).isEmpty();
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
    store.apply(upsert(EPOCH, 2, "a", "u1", "5"));
    assertThat(store.apply(Downstream.marker(EPOCH - 500, 1, Downstream.Op.SYNC_BEGIN, "c2")).result().outcome())
        .isEqualTo(Outcome.SYNC_STARTED);
    assertThat(store.position()).isEqualTo(new SyncPosition(EPOCH - 500, 1));
    assertThat(store.apply(upsert(EPOCH - 500, 2, "b", "u2", "6")).result().outcome()).isEqualTo(Outcome.APPLIED);
  }
}
