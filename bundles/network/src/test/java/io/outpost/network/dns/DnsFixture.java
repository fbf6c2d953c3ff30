package io.outpost.network.dns;

import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.store.Change;
import io.outpost.store.StoreListener;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.XodusEdgeStore;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real edge store on disk, filled through its sync log as the sync fills it, telling the DNS component of each
 * commit as the store component tells its whiteboard listeners; and the component itself.
 */
final class DnsFixture implements AutoCloseable {
  private static final long EPOCH = 3;
  final Path dir;
  final XodusEdgeStore store;
  private final AtomicReference<StoreListener> listener = new AtomicReference<>();
  private long seq;
  ClusterDnsComponent dns;

  DnsFixture(Path dir) {
    this.dir = dir;
    this.store = open(dir, listener);
    if (store.position().seq() == 0) {
      store.apply(new Change.ResyncBegin(new SyncPosition(EPOCH, ++seq)));
      store.apply(new Change.ResyncEnd(new SyncPosition(EPOCH, ++seq)));
    } else {
      seq = store.position().seq();
    }
  }

  private static XodusEdgeStore open(Path dir, AtomicReference<StoreListener> listener) {
    return new XodusEdgeStore(dir, 100, dir.resolve("store.key"), new StoreListener() {
      @Override
      public void objectsChanged(Set<String> keys) {
        StoreListener current = listener.get();
        if (current != null) {
          current.objectsChanged(keys);
        }
      }
    });
  }

  ClusterDnsComponent start(DnsConfig config) {
    dns = new ClusterDnsComponent(store, config);
    listener.set(dns);
    return dns;
  }

  InetSocketAddress address() {
    return org.awaitility.Awaitility.await().until(() -> dns.address().orElse(null), a -> a != null);
  }

  void service(String namespace, String name, ServiceV1 service) {
    put(new ObjectRef("Service", namespace, name, "uid-" + namespace + "-" + name, Long.toString(seq + 1)),
        service);
  }

  void slice(String namespace, String name, EndpointSliceV1 slice) {
    put(new ObjectRef("EndpointSlice", namespace, name, "uid-s-" + namespace + "-" + name, Long.toString(seq + 1)),
        slice);
  }

  void remove(String kind, String namespace, String name) {
    String uid = "Service".equals(kind) ? "uid-" + namespace + "-" + name : "uid-s-" + namespace + "-" + name;
    if (!store.apply(new Change.Remove(new SyncPosition(EPOCH, ++seq),
        new ObjectRef(kind, namespace, name, uid, Long.toString(seq)))).outcome().advanced()) {
      throw new AssertionError("not removed: " + kind + "/" + namespace + "/" + name);
    }
  }

  private void put(ObjectRef ref, Object spec) {
    if (!store.apply(new Change.Put(new SyncPosition(EPOCH, ++seq), ref, spec)).outcome().advanced()) {
      throw new AssertionError("not applied: " + ref);
    }
  }

  static ServiceV1 clusterIp(List<String> ips, ServicePortV1... ports) {
    return new ServiceV1("ClusterIP", ips, List.of(ports), "None", null, "Cluster", "Cluster", false, null);
  }

  static ServiceV1 headless(boolean publishNotReady, ServicePortV1... ports) {
    return new ServiceV1("ClusterIP", List.of(ServiceV1.HEADLESS), List.of(ports), "None", null, "Cluster",
        "Cluster", publishNotReady, null);
  }

  static ServiceV1 externalName(String target) {
    return new ServiceV1("ExternalName", List.of(), List.of(), "None", null, "Cluster", "Cluster", false, target);
  }

  static ServicePortV1 port(String name, String protocol, int port) {
    return new ServicePortV1(name, protocol, port, null, null);
  }

  static EndpointSliceV1.EndpointV1 endpoint(String ip, boolean ready, String hostname) {
    return new EndpointSliceV1.EndpointV1(List.of(ip), ready, ready, false, "edge-1", hostname, null);
  }

  @Override
  public void close() {
    if (dns != null) {
      dns.deactivate();
    }
    store.close();
  }
}
