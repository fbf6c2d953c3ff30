package io.outpost.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BucketsTest {
  private static List<ObjectRef> refs(int n, String version) {
    List<ObjectRef> refs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      refs.add(new ObjectRef("Pod", "shop", "web-" + i, "uid-" + i, version));
    }
    return refs;
  }

  @Test
  void onlyTheBucketsOfChangedObjectsDiffer() {
    List<ObjectRef> held = refs(100, "1");
    List<ObjectRef> expected = new ArrayList<>(held);
    expected.set(7, new ObjectRef("Pod", "shop", "web-7", "uid-7", "2"));
    expected.set(42, new ObjectRef("Pod", "shop", "web-42", "uid-42", "2"));
    int count = Buckets.countFor(expected.size());
    assertThat(count).isEqualTo(50);
    List<String> ours = Buckets.digests(held, count);
    List<String> theirs = Buckets.digests(expected, count);
    List<Integer> differing = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      if (!ours.get(b).equals(theirs.get(b))) {
        differing.add(b);
      }
    }
    assertThat(differing).containsExactlyInAnyOrder(Buckets.bucketOf("Pod/shop/web-7", count),
        Buckets.bucketOf("Pod/shop/web-42", count));
    List<ObjectRef> reversed = new ArrayList<>(held);
    java.util.Collections.reverse(reversed);
    assertThat(Buckets.digests(reversed, count)).as("order does not matter").isEqualTo(ours);
  }

  @Test
  void bucketCountsAreBounded() {
    assertThat(Buckets.countFor(0)).isEqualTo(1);
    assertThat(Buckets.countFor(1)).isEqualTo(1);
    assertThat(Buckets.countFor(1_000_000)).isEqualTo(Buckets.MAX);
  }

  @Test
  void aPartialRequestMayListOnlyRefsOfItsBuckets() throws Exception {
    List<ObjectRef> held = refs(10, "1");
    int count = 5;
    int bucket = Buckets.bucketOf(held.get(0).key(), count);
    List<ObjectRef> inBucket = held.stream().filter(r -> Buckets.bucketOf(r.key(), count) == bucket).toList();
    Codec codec = new Codec();
    ResyncRequest ok = new ResyncRequest(1, "edge-1", "c", 1, 1, "digest_mismatch", inBucket,
        ResyncRequest.digestOf(held), held.size(), count, List.of(bucket));
    assertThat(codec.decode(codec.encode(ok), ResyncRequest.class).partial()).isTrue();
    ResyncRequest outside = new ResyncRequest(1, "edge-1", "c", 1, 1, "digest_mismatch", held,
        ResyncRequest.digestOf(held), held.size(), count, List.of(bucket));
    ResyncRequest outOfRange = new ResyncRequest(1, "edge-1", "c", 1, 1, "digest_mismatch", List.of(),
        ResyncRequest.digestOf(held), held.size(), count, List.of(count));
    ResyncRequest noHeld = new ResyncRequest(1, "edge-1", "c", 1, 1, "digest_mismatch", null,
        ResyncRequest.digestOf(held), held.size(), count, List.of(0));
    for (ResyncRequest bad : List.of(outside, outOfRange, noHeld)) {
      assertThatThrownBy(bad::validate).isInstanceOfSatisfying(ProtocolException.class,
          e -> assertThat(e.reason()).isEqualTo(ProtocolException.Reason.INVALID));
    }
    ResyncRequest unknownKind = new ResyncRequest(1, "edge-1", "c", 1, 1, "connect",
        List.of(new ObjectRef("Deployment", "shop", "web", "u", "1")), null, null);
    assertThatThrownBy(unknownKind::validate).isInstanceOf(ProtocolException.class).hasMessageContaining("Deployment");
    assertThatThrownBy(() -> Downstream.mismatch(1, 1, "c", List.of("xyz")).validate())
        .isInstanceOf(ProtocolException.class);
  }
}
