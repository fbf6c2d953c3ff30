package io.outpost.bench;

import io.outpost.protocol.Buckets;
import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.ResyncRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Payload bytes of a resync, computed with the real codec for a node holding {@code pods} realistic pods: an
 * unchanged node (compact request + two markers) and a node that missed {@code missedPercent}% of changes
 * (compact request, DIGEST_MISMATCH with bucket digests, the partial request listing the refs of the buckets that
 * differ, markers and the missed UPSERTs). MQTT framing (fixed header,
 * topic, packet id: ~30-40 bytes per message) comes on top. Usage: {@code ResyncBytes [pods] [missedPercent]}.
 */
public final class ResyncBytes {
  private ResyncBytes() {}

  public static void main(String[] args) {
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int missedPercent = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Codec codec = new Codec();
    List<ObjectRef> held = new ArrayList<>();
    for (int i = 0; i < pods; i++) {
      held.add(new ObjectRef("Pod", "shop", "web-7d9f8c6b5-" + Integer.toString(10_000 + i, 36),
          UUID.randomUUID().toString(), Long.toString(48_213_000L + i)));
    }
    String id = UUID.randomUUID().toString();
    long epoch = System.currentTimeMillis();
    int compact = codec.encode(new ResyncRequest(Codec.VERSION, "edge-site042-node07", id, epoch, 4711, "connect",
        null, ResyncRequest.digestOf(held), held.size())).length;
    int begin = codec.encode(Downstream.marker(epoch, 4712, Downstream.Op.SYNC_BEGIN, id)).length;
    int end = codec.encode(Downstream.marker(epoch, 4713, Downstream.Op.SYNC_END, id)).length;
    System.out.printf("unchanged node, %d pods: request %d + answer %d = %d bytes%n", pods, compact, begin + end,
        compact + begin + end);

    int missed = pods * missedPercent / 100;
    // What the bridge expects: the node's refs with the missed ones at a newer version.
    List<ObjectRef> expected = new ArrayList<>(held);
    for (int i = 0; i < missed; i++) {
      ObjectRef ref = held.get(i);
      expected.set(i, new ObjectRef(ref.kind(), ref.namespace(), ref.name(), ref.uid(), ref.resourceVersion() + "9"));
    }
    int buckets = Buckets.countFor(expected.size());
    List<String> theirs = Buckets.digests(expected, buckets);
    List<String> ours = Buckets.digests(held, buckets);
    List<Integer> differing = new ArrayList<>();
    for (int b = 0; b < buckets; b++) {
      if (!theirs.get(b).equals(ours.get(b))) {
        differing.add(b);
      }
    }
    List<ObjectRef> listed = held.stream().filter(r -> differing.contains(Buckets.bucketOf(r.key(), buckets)))
        .toList();
    int mismatch = codec.encode(Downstream.mismatch(epoch, 4711, id, theirs)).length;
    int partial = codec.encode(new ResyncRequest(Codec.VERSION, "edge-site042-node07", id, epoch, 4711,
        "digest_mismatch", listed, ResyncRequest.digestOf(held), held.size(), buckets, differing)).length;
    int full = codec.encode(new ResyncRequest(Codec.VERSION, "edge-site042-node07", id, epoch, 4711, "connect",
        held, ResyncRequest.digestOf(held), held.size())).length;
    int upserts = 0;
    for (int i = 0; i < missed; i++) {
      upserts += codec.encode(Downstream.upsertPod(epoch, 4712 + i, expected.get(i), pod())).length;
    }
    System.out.printf("node that missed %d%% (%d pods): compact %d + mismatch with %d bucket digests %d"
        + " + partial request (%d buckets, %d refs) %d + markers %d + upserts %d = %d bytes%n", missedPercent, missed,
        compact, buckets, mismatch, differing.size(), listed.size(), partial, begin + end, upserts,
        compact + mismatch + partial + begin + end + upserts);
    System.out.printf("  (listing every held ref instead, as without buckets: %d bytes)%n", full);
  }

  private static PodV1 pod() {
    return new PodV1("edge-site042-node07", "Always", 30L, null, null, List.of(new PodV1.ContainerV1("web",
        "registry.example/shop/web:2.14.1", "IfNotPresent", null, List.of("--port=8080", "--log-level=info"), null,
        List.of(new PodV1.EnvVarV1("SHOP_REGION", "north"), new PodV1.EnvVarV1("CACHE_MB", "64")))));
  }
}
