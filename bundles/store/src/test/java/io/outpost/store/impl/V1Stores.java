package io.outpost.store.impl;

import io.outpost.protocol.Codec;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import java.nio.file.Path;
import java.util.List;
import jetbrains.exodus.ArrayByteIterable;
import jetbrains.exodus.bindings.StringBinding;
import jetbrains.exodus.env.Environment;
import jetbrains.exodus.env.EnvironmentConfig;
import jetbrains.exodus.env.Environments;

/**
 * Large schema 1 stores for tests: the values exactly as the release before schema versions wrote them (the wire
 * codec's {@code Downstream} UPSERT per pod, the codec's {@code PodStatusReport} as each pod's last status).
 */
final class V1Stores {
  static final long EPOCH = 1765100000000L;

  private V1Stores() {}

  static PodV1 pod(int i) {
    return new PodV1("edge-1", "Always", null, null, null, List.of(new PodV1.ContainerV1("app",
        "quay.io/outpost/app:" + i, null, List.of("sh", "-c", "sleep 1000"), null, null,
        List.of(new PodV1.EnvVarV1("INDEX", Integer.toString(i))))));
  }

  static ObjectRef ref(int i) {
    return new ObjectRef("Pod", "ns", "p" + i, "u" + i, Integer.toString(1000 + i));
  }

  static PodStatusReport status(int i) {
    return new PodStatusReport(1, "edge-1", ref(i), "Running", null, null, "10.88." + (i / 250) + "." + (i % 250),
        "10.0.0.2", "2026-12-07T10:00:00Z", List.of(), false);
  }

  /** Writes {@code pods} pods and their last statuses at position (EPOCH, pods). */
  static void write(Path directory, int pods) {
    Codec codec = new Codec();
    Environment env = Environments.newInstance(directory.toFile(), new EnvironmentConfig().setLogDurableWrite(true));
    try {
      env.executeInTransaction(txn -> {
        Stores stores = Stores.open(env, txn);
        for (int i = 0; i < pods; i++) {
          stores.objects().put(txn, StringBinding.stringToEntry(ref(i).key()), new ArrayByteIterable(
              codec.encode(Downstream.upsertPod(EPOCH, i + 1, ref(i), pod(i)))));
          stores.lastStatus().put(txn, StringBinding.stringToEntry(ref(i).uid()),
              new ArrayByteIterable(codec.encode(status(i))));
        }
        Records records = new Records(stores.meta());
        records.writeLong(txn, "epoch", EPOCH);
        records.writeLong(txn, "seq", pods);
      });
    } finally {
      env.close();
    }
  }
}
