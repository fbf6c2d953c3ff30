package io.outpost.network.dns;

import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceV1;
import io.outpost.store.Change;
import io.outpost.store.SyncPosition;
import io.outpost.store.impl.XodusEdgeStore;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The cluster DNS server as a node runs it (a real Xodus store with 1,000 ClusterIP Services and 100 headless
 * Services of 10 endpoints, UDP on loopback) under closed-loop load from {@code clients} threads, each with its own
 * socket, one query in flight: per scenario, queries per second and the latency p50/p99 seen by the clients.
 * Scenarios: cluster names (A of random Services), search-path misses (NXDOMAIN from the zone), and forwarded names
 * answered from the cache (200 names asked once before, from a dnsjava responder on loopback standing for the
 * upstream). Every answer is checked; a wrong or missing answer ends the run with no figure.
 */
public final class ClusterDnsBench {
  private static final int SERVICES = 1000;
  private static final int HEADLESS = 100;
  private static final int EXTERNAL = 200;

  private ClusterDnsBench() {}

  /** The DNS server's configuration for the bench: shipped defaults, loopback addresses. */
  @SuppressWarnings("all")
  private record Config(String listen_address, String upstreams) implements DnsConfig {
    public String cluster_domain() {
      return "cluster.local";
    }

    public int listen_port() {
      return 53;
    }

    public String resolv_conf() {
      return "/etc/resolv.conf";
    }

    public int ttl_seconds() {
      return 5;
    }

    public int cache_size() {
      return 2048;
    }

    public int cache_negative_size() {
      return 512;
    }

    public int upstream_timeout_ms() {
      return 2000;
    }

    public int tcp_idle_timeout_seconds() {
      return 10;
    }

    public int tcp_max_connections() {
      return 64;
    }

    public Class<? extends java.lang.annotation.Annotation> annotationType() {
      return DnsConfig.class;
    }
  }

  public static void run(int seconds, int clients) throws Exception {
    Path dir = Files.createTempDirectory("outpost-dns-bench-");
    try (XodusEdgeStore store = new XodusEdgeStore(dir); Upstream upstream = new Upstream("127.0.0.102")) {
      fill(store);
      ClusterDnsComponent dns = new ClusterDnsComponent(store, new Config("127.0.0.101:0", upstream.hostPort()));
      try {
        InetSocketAddress server = awaitListening(dns);
        System.out.printf("dns: %d ClusterIP + %d headless Services (x10 endpoints) in a Xodus store, UDP on %s, "
            + "%d clients (closed loop), %d s per scenario after 3 s warm-up%n", SERVICES, HEADLESS, server,
            clients, seconds);
        try (DatagramSocket socket = new DatagramSocket()) {
          for (int i = 0; i < EXTERNAL; i++) {
            check(exchange(socket, server, query("host" + i + ".example.com.")), Rcode.NOERROR, 1);
          }
        }
        long forwardedBefore = upstream.queries.get();
        scenario("cluster names (A)", server, seconds, clients,
            i -> query("svc" + (i % SERVICES) + ".ns" + (i % 10) + ".svc.cluster.local."), Rcode.NOERROR, 1);
        scenario("search-path misses (NXDOMAIN)", server, seconds, clients,
            i -> query("host" + (i % EXTERNAL) + ".example.com.ns" + (i % 10) + ".svc.cluster.local."),
            Rcode.NXDOMAIN, 0);
        scenario("cached forwarded names (A)", server, seconds, clients,
            i -> query("host" + (i % EXTERNAL) + ".example.com."), Rcode.NOERROR, 1);
        if (upstream.queries.get() != forwardedBefore) {
          throw new IllegalStateException("the cached scenario went upstream "
              + (upstream.queries.get() - forwardedBefore) + " times");
        }
        System.out.printf("server metrics: %s%n", dns.metrics().entrySet().stream()
            .filter(e -> e.getKey().contains("latency") || e.getKey().contains("cache_hits")).toList());
      } finally {
        dns.deactivate();
      }
    } finally {
      try (Stream<Path> paths = Files.walk(dir)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }

  private static InetSocketAddress awaitListening(ClusterDnsComponent dns) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (dns.address().isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the DNS server did not listen within 10 s");
      }
      Thread.onSpinWait();
    }
    return dns.address().get();
  }

  private static void fill(XodusEdgeStore store) {
    long seq = 1;
    List<Change> changes = new ArrayList<>();
    changes.add(new Change.ResyncBegin(new SyncPosition(1, seq)));
    for (int i = 0; i < SERVICES; i++) {
      changes.add(new Change.Put(new SyncPosition(1, ++seq), new ObjectRef("Service", "ns" + (i % 10), "svc" + i,
          "u" + i, "1"), new ServiceV1("ClusterIP", List.of("10.96." + (i / 250) + "." + (i % 250 + 1)), List.of(
              new ServiceV1.ServicePortV1("http", "TCP", 80, null, null)), "None", null, "Cluster", "Cluster", false,
          null)));
    }
    for (int i = 0; i < HEADLESS; i++) {
      changes.add(new Change.Put(new SyncPosition(1, ++seq), new ObjectRef("Service", "ns" + (i % 10), "db" + i,
          "h" + i, "1"), new ServiceV1("ClusterIP", List.of(ServiceV1.HEADLESS), List.of(), "None", null, "Cluster",
          "Cluster", false, null)));
      List<EndpointSliceV1.EndpointV1> endpoints = new ArrayList<>();
      for (int e = 0; e < 10; e++) {
        endpoints.add(new EndpointSliceV1.EndpointV1(List.of("10.42." + i + "." + (e + 1)), true, true, false,
            "edge-1", "db-" + e, null));
      }
      changes.add(new Change.Put(new SyncPosition(1, ++seq), new ObjectRef("EndpointSlice", "ns" + (i % 10),
          "db" + i + "-x", "s" + i, "1"), new EndpointSliceV1("db" + i, "IPv4", List.of(), endpoints)));
    }
    changes.add(new Change.ResyncEnd(new SyncPosition(1, ++seq)));
    store.applyAll(changes);
  }

  private static byte[] query(String name) {
    Message query = new Message(ThreadLocalRandom.current().nextInt(0x10000));
    query.getHeader().setFlag(Flags.RD);
    query.addRecord(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN), Section.QUESTION);
    return query.toWire();
  }

  private static void scenario(String label, InetSocketAddress server, int seconds, int clients,
      IntFunction<byte[]> queries, int rcode, int answers) throws Exception {
    run(server, 3, clients, queries, rcode, answers); // warm-up
    long[] latencies = run(server, seconds, clients, queries, rcode, answers);
    Arrays.sort(latencies);
    System.out.printf("%-32s %,9.0f queries/s  p50 %6.3f ms  p99 %6.3f ms  (%,d queries)%n", label,
        latencies.length / (double) seconds, latencies[latencies.length / 2] / 1e6,
        latencies[(int) Math.ceil(latencies.length * 0.99) - 1] / 1e6, latencies.length);
  }

  private static long[] run(InetSocketAddress server, int seconds, int clients, IntFunction<byte[]> queries,
      int rcode, int answers) throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    List<Thread> threads = new ArrayList<>();
    List<long[]> results = new ArrayList<>();
    List<Exception> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      results.add(null);
      Thread thread = new Thread(() -> {
        long[] own = new long[1 << 16];
        int n = 0;
        try (DatagramSocket socket = new DatagramSocket()) {
          socket.setSoTimeout(2_000);
          for (int i = client; System.nanoTime() < end; i += clients) {
            byte[] query = queries.apply(i);
            long start = System.nanoTime();
            Message answer = exchange(socket, server, query);
            long took = System.nanoTime() - start;
            check(answer, rcode, answers);
            if (n == own.length) {
              own = Arrays.copyOf(own, n * 2);
            }
            own[n++] = took;
          }
        } catch (Exception e) {
          failures.add(e);
        }
        synchronized (results) {
          results.set(client, Arrays.copyOf(own, n));
        }
      }, "dns-bench-client-" + c);
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("a query failed; no figure", failures.get(0));
    }
    return results.stream().flatMapToLong(Arrays::stream).toArray();
  }

  private static Message exchange(DatagramSocket socket, InetSocketAddress server, byte[] query) throws IOException {
    socket.setSoTimeout(2_000);
    socket.send(new DatagramPacket(query, query.length, server));
    byte[] buffer = new byte[1500];
    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
    socket.receive(packet);
    Message answer = new Message(Arrays.copyOf(buffer, packet.getLength()));
    if (answer.getHeader().getID() != (((query[0] & 0xff) << 8) | (query[1] & 0xff))) {
      throw new IOException("answer to another query");
    }
    return answer;
  }

  private static void check(Message answer, int rcode, int answers) {
    if (answer.getRcode() != rcode || answer.getSection(Section.ANSWER).size() != answers) {
      throw new IllegalStateException("unexpected answer: " + answer);
    }
  }

  /** A dnsjava responder on loopback standing for the node's upstream resolver: A 192.0.2.1, TTL 3600, for all. */
  private static final class Upstream implements AutoCloseable {
    final AtomicLong queries = new AtomicLong();
    private final DatagramSocket socket;
    private final Thread thread;

    Upstream(String ip) throws IOException {
      socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), 0));
      thread = new Thread(this::serve, "dns-bench-upstream");
      thread.setDaemon(true);
      thread.start();
    }

    String hostPort() {
      return socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
    }

    private void serve() {
      byte[] buffer = new byte[65_535];
      while (!socket.isClosed()) {
        try {
          DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
          socket.receive(packet);
          queries.incrementAndGet();
          Message query = new Message(Arrays.copyOf(buffer, packet.getLength()));
          Message answer = new Message(query.getHeader().getID());
          answer.getHeader().setFlag(Flags.QR);
          answer.getHeader().setFlag(Flags.RA);
          answer.addRecord(query.getQuestion(), Section.QUESTION);
          answer.addRecord(new ARecord(query.getQuestion().getName(), DClass.IN, 3600,
              InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1})), Section.ANSWER);
          byte[] wire = answer.toWire();
          socket.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
        } catch (IOException e) {
          if (!socket.isClosed()) {
            System.err.println("bench upstream: " + e);
          }
        }
      }
    }

    @Override
    public void close() {
      socket.close();
    }
  }
}
