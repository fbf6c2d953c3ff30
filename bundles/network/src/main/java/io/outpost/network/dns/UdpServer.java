package io.outpost.network.dns;

import io.outpost.network.dns.DnsMetrics.Outcome;
import io.outpost.network.dns.DnsMetrics.Rejection;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over UDP on one socket. Its thread ({@code outpost-dns-udp}) receives, answers locally what it can (cluster
 * names, cached answers, refusals) and hands queries for the upstreams to the forwarding pool; when that pool's
 * queue is full the query is dropped and counted (a client retries). {@link #close} closes the socket, which ends
 * the thread.
 */
final class UdpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UdpServer.class);

  private final DatagramSocket socket;
  private final QueryHandler handler;
  private final ExecutorService forwarding;
  private final DnsMetrics metrics;
  private final Thread thread;

  UdpServer(InetSocketAddress address, QueryHandler handler, ExecutorService forwarding, DnsMetrics metrics)
      throws IOException {
    this.socket = new DatagramSocket(null);
    socket.setReuseAddress(false);
    socket.setReceiveBufferSize(1 << 20);
    socket.bind(address);
    this.handler = handler;
    this.forwarding = forwarding;
    this.metrics = metrics;
    this.thread = new Thread(this::run, "outpost-dns-udp");
    thread.setDaemon(true);
    thread.start();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  private void run() {
    // One byte more than any datagram can carry is not needed: 65,535 holds every UDP payload, so length tells all.
    byte[] buffer = new byte[65_535];
    while (!socket.isClosed()) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
      } catch (IOException e) {
        if (!socket.isClosed()) {
          LOG.warn("Cluster DNS UDP receive failed: {}", e.toString());
        }
        continue;
      }
      SocketAddress client = packet.getSocketAddress();
      try {
        QueryHandler.Reply reply = handler.local(buffer, packet.getLength(), true, client);
        if (reply instanceof QueryHandler.Reply.Done done) {
          send(done.wire(), client);
        } else if (reply instanceof QueryHandler.Reply.Upstream upstream) {
          try {
            forwarding.execute(() -> send(handler.upstream(upstream), client));
          } catch (RejectedExecutionException e) {
            metrics.rejected(Rejection.OVERLOAD, client, null);
            metrics.outcome(Outcome.DROPPED);
          }
        }
      } catch (RuntimeException e) {
        LOG.warn("Cluster DNS failed to answer a query from {}", client, e);
      }
    }
  }

  private void send(byte[] wire, SocketAddress client) {
    try {
      socket.send(new DatagramPacket(wire, wire.length, client));
    } catch (IOException e) {
      if (!socket.isClosed()) {
        LOG.debug("Cluster DNS could not answer {}: {}", client, e.toString());
      }
    }
  }

  @Override
  public void close() {
    socket.close();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
