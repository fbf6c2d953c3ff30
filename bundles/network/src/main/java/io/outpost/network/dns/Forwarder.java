package io.outpost.network.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Asks the upstream resolvers one question: over UDP from a fresh socket (a random source port and a random id, so
 * that answers cannot be guessed), again over TCP when the answer is truncated. Waits {@code timeout} for each
 * upstream and then tries the next; the one that answered last is asked first next time. An answer whose id or
 * question does not match is ignored. SERVFAIL and REFUSED count as failures too. Blocks the calling thread.
 */
final class Forwarder {
  /** EDNS payload the node advertises upstream (the DNS flag day 2020 value). */
  static final int PAYLOAD = 1232;

  /** No upstream answered; {@code reason} of the last failure. */
  static final class UpstreamFailure extends Exception {
    UpstreamFailure(String message) {
      super(message, null, false, false);
    }
  }

  /** Told of each upstream that failed, and why ({@code timeout}, {@code unreachable}, {@code servfail}, ...). */
  interface FailureListener {
    void failed(InetSocketAddress upstream, String reason);
  }

  private final Upstreams upstreams;
  private final Duration timeout;
  private final FailureListener failures;
  private final SecureRandom random = new SecureRandom();
  private final AtomicInteger preferred = new AtomicInteger();

  Forwarder(Upstreams upstreams, Duration timeout, FailureListener failures) {
    this.upstreams = upstreams;
    this.timeout = timeout;
    this.failures = failures;
  }

  /** The first usable answer of an upstream to {@code question}. */
  Message forward(Record question, boolean checkingDisabled) throws UpstreamFailure {
    List<InetSocketAddress> servers = upstreams.current();
    if (servers.isEmpty()) {
      failures.failed(null, "none");
      throw new UpstreamFailure("no upstream resolver configured");
    }
    int first = Math.floorMod(preferred.get(), servers.size());
    String last = "none";
    for (int i = 0; i < servers.size(); i++) {
      int index = (first + i) % servers.size();
      InetSocketAddress server = servers.get(index);
      String reason;
      try {
        Message response = exchange(server, question, checkingDisabled);
        int rcode = response.getRcode();
        if (rcode != Rcode.SERVFAIL && rcode != Rcode.REFUSED) {
          preferred.set(index);
          return response;
        }
        reason = rcode == Rcode.SERVFAIL ? "servfail" : "refused";
      } catch (SocketTimeoutException e) {
        reason = "timeout";
      } catch (PortUnreachableException e) {
        reason = "unreachable";
      } catch (IOException e) {
        reason = "error";
      }
      failures.failed(server, reason);
      last = server + ": " + reason;
    }
    throw new UpstreamFailure("every upstream failed, last " + last);
  }

  private Message exchange(InetSocketAddress server, Record question, boolean checkingDisabled) throws IOException {
    int id = random.nextInt(0x10000);
    Message query = new Message(id);
    query.getHeader().setFlag(Flags.RD);
    if (checkingDisabled) {
      query.getHeader().setFlag(Flags.CD);
    }
    query.addRecord(question, Section.QUESTION);
    query.addRecord(new OPTRecord(PAYLOAD, 0, 0), Section.ADDITIONAL);
    byte[] wire = query.toWire();
    Message response = udp(server, wire, question, id);
    if (response.getHeader().getFlag(Flags.TC)) {
      response = tcp(server, wire, question, id);
    }
    return response;
  }

  private Message udp(InetSocketAddress server, byte[] wire, Record question, int id) throws IOException {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.connect(server);
      socket.send(new DatagramPacket(wire, wire.length));
      long deadline = System.nanoTime() + timeout.toNanos();
      byte[] buffer = new byte[65_535];
      while (true) {
        socket.setSoTimeout(remainingMillis(deadline));
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.receive(packet);
        Message response = parse(buffer, packet.getLength());
        if (response != null && matches(response, question, id)) {
          return response;
        }
      }
    }
  }

  private Message tcp(InetSocketAddress server, byte[] wire, Record question, int id) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Socket socket = new Socket()) {
      socket.connect(server, remainingMillis(deadline));
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeShort(wire.length);
      out.write(wire);
      out.flush();
      InputStream raw = socket.getInputStream();
      DataInputStream in = new DataInputStream(raw);
      while (true) {
        socket.setSoTimeout(remainingMillis(deadline));
        int length = in.readUnsignedShort();
        byte[] body = new byte[length];
        socket.setSoTimeout(remainingMillis(deadline));
        in.readFully(body);
        Message response = parse(body, length);
        if (response != null && matches(response, question, id)) {
          return response;
        }
      }
    }
  }

  private static int remainingMillis(long deadline) throws SocketTimeoutException {
    long remaining = (deadline - System.nanoTime()) / 1_000_000L;
    if (remaining <= 0) {
      throw new SocketTimeoutException("upstream timeout");
    }
    return (int) Math.min(Integer.MAX_VALUE, remaining);
  }

  private static Message parse(byte[] buffer, int length) {
    try {
      return new Message(java.nio.ByteBuffer.wrap(buffer, 0, length));
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean matches(Message response, Record question, int id) {
    Record asked = response.getQuestion();
    return response.getHeader().getID() == id && response.getHeader().getFlag(Flags.QR) && asked != null
        && asked.getName().equals(question.getName()) && asked.getType() == question.getType()
        && asked.getDClass() == question.getDClass();
  }

  /** For callers that only have a name. */
  static Record question(Name name, int type, int dclass) {
    return Record.newRecord(name, type, dclass);
  }
}
