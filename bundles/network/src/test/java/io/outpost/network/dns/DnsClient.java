package io.outpost.network.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** A DNS client over real sockets for the tests: dnsjava's codec, UDP or TCP, or raw bytes. */
final class DnsClient {
  private DnsClient() {}

  static Message query(String name, int type) {
    Message query = new Message(ThreadLocalRandom.current().nextInt(0x10000));
    query.getHeader().setFlag(Flags.RD);
    query.addRecord(Record.newRecord(Name.fromConstantString(name), type, DClass.IN), Section.QUESTION);
    return query;
  }

  static Message withEdns(Message query, int payload) {
    query.addRecord(new OPTRecord(payload, 0, 0), Section.ADDITIONAL);
    return query;
  }

  static Message udp(InetSocketAddress server, String name, int type) throws IOException {
    return udp(server, query(name, type));
  }

  static Message udp(InetSocketAddress server, Message query) throws IOException {
    byte[] answer = udpRaw(server, query.toWire(), 5_000);
    if (answer == null) {
      throw new SocketTimeoutException("no answer from " + server + " to " + query.getQuestion());
    }
    return new Message(answer);
  }

  /** The raw answer to {@code bytes} over UDP, or null if none came within {@code timeoutMillis}. */
  static byte[] udpRaw(InetSocketAddress server, byte[] bytes, int timeoutMillis) throws IOException {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(timeoutMillis);
      socket.send(new DatagramPacket(bytes, bytes.length, server));
      byte[] buffer = new byte[65_535];
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      socket.receive(packet);
      return Arrays.copyOf(buffer, packet.getLength());
    } catch (SocketTimeoutException e) {
      return null;
    }
  }

  static Message tcp(InetSocketAddress server, String name, int type) throws IOException {
    return tcp(server, query(name, type));
  }

  static Message tcp(InetSocketAddress server, Message query) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(server, 5_000);
      socket.setSoTimeout(5_000);
      byte[] wire = query.toWire();
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeShort(wire.length);
      out.write(wire);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] body = new byte[in.readUnsignedShort()];
      in.readFully(body);
      return new Message(body);
    }
  }
}
