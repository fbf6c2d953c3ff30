package io.outpost.network;

import io.outpost.protocol.ObjectRef;
import io.outpost.store.ApplyResult;
import io.outpost.store.Change;
import io.outpost.store.StoreListener;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.XodusEdgeStore;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** A real edge store on disk whose change notifications go to the listener a test sets, and puts as the sync does. */
public final class TestStore implements AutoCloseable {
  public final XodusEdgeStore store;
  private final AtomicReference<StoreListener> listener = new AtomicReference<>();
  private final AtomicLong seq = new AtomicLong();

  public TestStore(Path dir) {
    this.store = new XodusEdgeStore(dir.resolve("store"), 1000, dir.resolve("store.key"), new StoreListener() {
      @Override
      public void objectsChanged(Set<String> keys) {
        StoreListener target = listener.get();
        if (target != null) {
          target.objectsChanged(keys);
        }
      }
    });
    // A bridge incarnation's stream starts with a resync: begin and end one, as a node's first connect does.
    store.apply(new Change.ResyncBegin(new SyncPosition(1, 0)));
    store.apply(new Change.ResyncEnd(new SyncPosition(1, seq.incrementAndGet())));
  }

  public void listen(StoreListener target) {
    listener.set(target);
  }

  public void put(String kind, String namespace, String name, Object spec) {
    long n = seq.incrementAndGet();
    ApplyResult result = store.apply(new Change.Put(new SyncPosition(1, n), new ObjectRef(kind, namespace, name,
        "uid-" + kind + "-" + name, Long.toString(n)), spec));
    if (result.outcome() != ApplyResult.Outcome.APPLIED) {
      throw new IllegalStateException("put " + kind + "/" + name + ": " + result);
    }
  }

  public void remove(String kind, String namespace, String name) {
    long n = seq.incrementAndGet();
    store.apply(new Change.Remove(new SyncPosition(1, n), new ObjectRef(kind, namespace, name,
        "uid-" + kind + "-" + name, Long.toString(n))));
  }

  @Override
  public void close() {
    store.close();
  }
}
