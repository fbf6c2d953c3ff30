package io.outpost.network.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

/**
 * A small real DNS server on loopback (UDP and TCP, dnsjava's codec) standing for the node's upstream resolver: it
 * answers from the records it was given, NXDOMAIN/NODATA with an SOA (or without, if told), and can be told to stay
 * silent, to answer SERVFAIL, or to truncate every UDP answer so that the client must come back over TCP. Counts
 * what it was asked.
 */
final class TestUpstream implements AutoCloseable {
  enum Mode { ANSWER, SILENT, SERVFAIL, TRUNCATE_UDP }

  final AtomicInteger udpQueries = new AtomicInteger();
  final AtomicInteger tcpQueries = new AtomicInteger();
  final List<Record> asked = new CopyOnWriteArrayList<>();
  volatile Mode mode = Mode.ANSWER;
  /** While set and not yet counted down, the UDP side holds its answers (queries queue in the socket). */
  volatile java.util.concurrent.CountDownLatch hold;
  /** TTL and minimum of the SOA of negative answers; null: negative answers carry no SOA. */
  volatile Long soaTtl = 60L;
  private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final Thread udpThread;
  private final Thread tcpThread;

  TestUpstream(String ip) throws IOException {
    udp = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), 0));
    tcp = new ServerSocket();
    tcp.bind(new InetSocketAddress(InetAddress.getByName(ip), udp.getLocalPort()));
    udpThread = new Thread(this::serveUdp, "test-upstream-udp");
    tcpThread = new Thread(this::serveTcp, "test-upstream-tcp");
    udpThread.start();
    tcpThread.start();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) udp.getLocalSocketAddress();
  }

  /** {@code ip:port} for the upstreams key. */
  String hostPort() {
    return address().getAddress().getHostAddress() + ":" + address().getPort();
  }

  TestUpstream add(Record record) {
    records.computeIfAbsent(record.getName(), n -> new CopyOnWriteArrayList<>()).add(record);
    return this;
  }

  private Message answer(Message query) {
    Message response = new Message(query.getHeader().getID());
    response.getHeader().setFlag(Flags.QR);
    response.getHeader().setFlag(Flags.RA);
    Record question = query.getQuestion();
    response.addRecord(question, Section.QUESTION);
    asked.add(question);
    if (mode == Mode.SERVFAIL) {
      response.getHeader().setRcode(Rcode.SERVFAIL);
      return response;
    }
    List<Record> owned = records.get(question.getName());
    if (owned == null) {
      response.getHeader().setRcode(Rcode.NXDOMAIN);
    } else {
      owned.stream().filter(r -> r.getType() == question.getType())
          .forEach(r -> response.addRecord(r, Section.ANSWER));
    }
    if (response.getSection(Section.ANSWER).isEmpty() && soaTtl != null) {
      Name zone = new Name(question.getName(), Math.max(0, question.getName().labels() - 3));
      response.addRecord(new SOARecord(zone, DClass.IN, soaTtl, Name.fromConstantString("ns." + zone),
          Name.fromConstantString("admin." + zone), 1, 3600, 600, 86400, soaTtl), Section.AUTHORITY);
    }
    return response;
  }

  private void serveUdp() {
    byte[] buffer = new byte[65_535];
    while (!udp.isClosed()) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        udp.receive(packet);
        udpQueries.incrementAndGet();
        if (mode == Mode.SILENT) {
          continue;
        }
        java.util.concurrent.CountDownLatch latch = hold;
        if (latch != null) {
          latch.await();
        }
        Message query = new Message(java.util.Arrays.copyOf(buffer, packet.getLength()));
        byte[] wire = answer(query).toWire(mode == Mode.TRUNCATE_UDP ? 12 + question(query) : 65_535);
        if (mode == Mode.TRUNCATE_UDP) {
          wire[2] |= 0x02; // TC, with no records: the client must ask again over TCP
        }
        udp.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
      } catch (IOException e) {
        // closed, or a packet it could not parse: the test sees the missing answer
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static int question(Message query) {
    return query.getQuestion().getName().length() + 4;
  }

  private void serveTcp() {
    while (!tcp.isClosed()) {
      try (Socket socket = tcp.accept()) {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] body = new byte[in.readUnsignedShort()];
        in.readFully(body);
        tcpQueries.incrementAndGet();
        if (mode == Mode.SILENT) {
          continue;
        }
        byte[] wire = answer(new Message(body)).toWire(65_535);
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        out.writeShort(wire.length);
        out.write(wire);
        out.flush();
      } catch (IOException e) {
        // closed, or a client that went away
      }
    }
  }

  @Override
  public void close() throws InterruptedException, IOException {
    udp.close();
    tcp.close();
    udpThread.join(5_000);
    tcpThread.join(5_000);
  }
}
