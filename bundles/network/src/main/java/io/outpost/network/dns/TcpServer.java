package io.outpost.network.dns;

import io.outpost.network.dns.DnsMetrics.Rejection;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over TCP (RFC 7766 framing: a two-byte length, then the message) on one listening socket. At most
 * {@code maxConnections} clients are served at once, each on a thread of its own; one more is closed at once. A
 * client must start its next query within the idle timeout and send each whole frame within it (slowloris clients
 * are cut off), and must take its answer within it too (a client that never reads is closed). Frames shorter than a
 * header or longer than any query close the connection; so does a frame cut short.
 */
final class TcpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TcpServer.class);

  private final ServerSocket server;
  private final QueryHandler handler;
  private final DnsMetrics metrics;
  private final long idleMillis;
  private final Semaphore slots;
  private final ThreadPoolExecutor connections;
  private final ScheduledExecutorService watchdog;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;

  TcpServer(InetSocketAddress address, QueryHandler handler, DnsMetrics metrics, Duration idle, int maxConnections,
      ScheduledExecutorService watchdog) throws IOException {
    this.server = new ServerSocket();
    server.bind(address, 128);
    this.handler = handler;
    this.metrics = metrics;
    this.idleMillis = idle.toMillis();
    this.slots = new Semaphore(maxConnections);
    this.watchdog = watchdog;
    AtomicInteger n = new AtomicInteger();
    this.connections = new ThreadPoolExecutor(0, maxConnections, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
        r -> {
          Thread thread = new Thread(r, "outpost-dns-tcp-" + n.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    this.acceptor = new Thread(this::accept, "outpost-dns-tcp");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  private void accept() {
    while (!server.isClosed()) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!server.isClosed()) {
          LOG.warn("Cluster DNS TCP accept failed: {}", e.toString());
        }
        continue;
      }
      if (!slots.tryAcquire()) {
        metrics.rejected(Rejection.TCP_LIMIT, socket.getRemoteSocketAddress(), null);
        quietly(socket);
        continue;
      }
      open.add(socket);
      try {
        connections.execute(() -> {
          try {
            serve(socket);
          } finally {
            open.remove(socket);
            quietly(socket);
            slots.release();
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        open.remove(socket);
        quietly(socket);
        slots.release();
      }
    }
  }

  private void serve(Socket socket) {
    SocketAddress client = socket.getRemoteSocketAddress();
    try {
      socket.setTcpNoDelay(true);
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      byte[] lengthBytes = new byte[2];
      while (true) {
        long deadline = System.currentTimeMillis() + idleMillis;
        try {
          if (!read(socket, in, lengthBytes, 0, 1, deadline, true)) {
            return; // the client closed between queries
          }
        } catch (SocketTimeoutException e) {
          metrics.rejected(Rejection.TCP_IDLE, client, null);
          return;
        }
        deadline = System.currentTimeMillis() + idleMillis;
        read(socket, in, lengthBytes, 1, 1, deadline, false);
        int length = ((lengthBytes[0] & 0xff) << 8) | (lengthBytes[1] & 0xff);
        if (length > QueryHandler.MAX_QUERY) {
          metrics.rejected(Rejection.OVERSIZE, client, "TCP frame of " + length + " bytes");
          return;
        }
        byte[] body = new byte[length];
        read(socket, in, body, 0, length, deadline, false);
        QueryHandler.Reply reply = handler.local(body, length, false, client);
        byte[] answer = reply instanceof QueryHandler.Reply.Done done ? done.wire()
            : reply instanceof QueryHandler.Reply.Upstream upstream ? handler.upstream(upstream) : null;
        if (answer == null) {
          return;
        }
        write(socket, out, answer);
      }
    } catch (SocketTimeoutException e) {
      metrics.rejected(Rejection.TCP_SLOW, client, null);
    } catch (EOFException e) {
      metrics.rejected(Rejection.TCP_TRUNCATED, client, null);
    } catch (IOException e) {
      LOG.debug("Cluster DNS TCP connection from {} ended: {}", client, e.toString());
    } catch (RuntimeException e) {
      LOG.warn("Cluster DNS failed to answer a query from {}", client, e);
    }
  }

  /** Reads exactly {@code length} bytes by {@code deadline}; false if the stream ended before the first (allowed). */
  private static boolean read(Socket socket, InputStream in, byte[] into, int offset, int length, long deadline,
      boolean endAllowed) throws IOException {
    int done = 0;
    while (done < length) {
      long remaining = deadline - System.currentTimeMillis();
      if (remaining <= 0) {
        throw new SocketTimeoutException("deadline");
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, remaining));
      int n = in.read(into, offset + done, length - done);
      if (n < 0) {
        if (done == 0 && endAllowed) {
          return false;
        }
        throw new EOFException();
      }
      done += n;
    }
    return true;
  }

  /** Writes one framed answer; a client that does not take it within the idle timeout is disconnected. */
  private void write(Socket socket, OutputStream out, byte[] answer) throws IOException {
    ScheduledFuture<?> cut = watchdog.schedule(() -> quietly(socket), idleMillis, TimeUnit.MILLISECONDS);
    try {
      byte[] frame = new byte[answer.length + 2];
      frame[0] = (byte) (answer.length >>> 8);
      frame[1] = (byte) answer.length;
      System.arraycopy(answer, 0, frame, 2, answer.length);
      out.write(frame);
      out.flush();
    } finally {
      cut.cancel(false);
    }
  }

  private static void quietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.trace("close", e);
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      LOG.debug("Cluster DNS TCP close: {}", e.toString());
    }
    open.forEach(TcpServer::quietly);
    connections.shutdownNow();
    try {
      acceptor.join(5_000);
      connections.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
