package io.outpost.bench;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.store.Change;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.XodusEdgeStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Durable edge-store upserts per second on this machine's disk: one fsync'd transaction per message (how the sync
 * applies a message before acknowledging it), and batches of messages per transaction. Each pod is a realistic
 * single-container pod (image, command, args, env). Usage: {@code StoreBench [messages] [batch]}.
 */
public final class StoreBench {
  private static final long EPOCH = 1;

  private StoreBench() {}

  public static void main(String[] args) throws IOException {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    System.out.printf("store: %d upserts, single = 1 message per transaction, batched = %d per transaction%n",
        messages, batch);
    for (int round = 1; round <= 3; round++) {
      System.out.printf("round %d: single %,.0f/s, batched %,.0f/s%n", round, run(messages, 1), run(messages, batch));
    }
  }

  private static double run(int messages, int batch) throws IOException {
    Path dir = Files.createTempDirectory("outpost-store-bench-");
    try (XodusEdgeStore store = new XodusEdgeStore(dir)) {
      store.apply(new Change.ResyncBegin(new SyncPosition(EPOCH, 1)));
      long start = System.nanoTime();
      List<Change> pending = new ArrayList<>(batch);
      for (int i = 0; i < messages; i++) {
        pending.add(upsert(i + 2L, i));
        if (pending.size() == batch) {
          store.applyAll(pending);
          pending.clear();
        }
      }
      if (!pending.isEmpty()) {
        store.applyAll(pending);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (store.position().seq() != messages + 1L) {
        throw new IllegalStateException("not every message applied: " + store.position());
      }
      return messages / seconds;
    } finally {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }

  private static Change upsert(long seq, int i) {
    PodV1 pod = new PodV1("bench-node", "Always", 30L, null, null, List.of(new PodV1.ContainerV1("app",
        "registry.example/app:1." + (i % 7), "IfNotPresent", List.of("/bin/app"), List.of("--port", "8080"), null,
        List.of(new PodV1.EnvVarV1("POD_INDEX", Integer.toString(i)), new PodV1.EnvVarV1("MODE", "edge")))));
    return new Change.Put(new SyncPosition(EPOCH, seq), new ObjectRef("Pod", "bench", "pod-" + (i % 1000),
        "uid-" + (i % 1000),
        Long.toString(seq)), pod);
  }
}
