package io.outpost.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on loopback that delivers every byte {@code delayMillis} later in each direction, in order: a long
 * link between an edge site and its broker, for benchmarks (this machine's kernel has no netem). Latency only, no
 * bandwidth limit; what is in flight is buffered here. Counts the bytes it carries each way ({@link #up()}: from the
 * connecting client to the target).
 */
final class DelayProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final long delayMillis;
  private final java.util.concurrent.atomic.LongAdder up = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder down = new java.util.concurrent.atomic.LongAdder();

  DelayProxy(String targetHost, int targetPort, long delayMillis) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.delayMillis = delayMillis;
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "delay-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Bytes carried from clients to the target since the start (TCP payload: MQTT packets, no TCP/IP headers). */
  long up() {
    return up.sum();
  }

  /** Bytes carried from the target to clients since the start. */
  long down() {
    return down.sum();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket target = new Socket();
        target.connect(new InetSocketAddress(targetHost, targetPort));
        client.setTcpNoDelay(true);
        target.setTcpNoDelay(true);
        pump(client, target, up);
        pump(target, client, down);
      } catch (IOException e) {
        if (!server.isClosed()) {
          System.err.println("delay proxy: " + e.getMessage());
        }
      }
    }
  }

  /** Reads {@code from} and writes each chunk to {@code to} after the delay; one ordered queue per direction. */
  private void pump(Socket from, Socket to, java.util.concurrent.atomic.LongAdder carried) {
    ScheduledExecutorService direction = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "delay-proxy-out");
      thread.setDaemon(true);
      return thread;
    });
    Thread reader = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buffer)) >= 0) {
          byte[] chunk = Arrays.copyOf(buffer, n);
          carried.add(n);
          direction.schedule(() -> {
            try {
              out.write(chunk);
            } catch (IOException e) {
              closeQuietly(to);
            }
          }, delayMillis, TimeUnit.MILLISECONDS);
        }
      } catch (IOException e) {
        // the connection went: the other side learns it after the delay
      }
      direction.schedule(() -> {
        closeQuietly(to);
        direction.shutdown();
      }, delayMillis, TimeUnit.MILLISECONDS);
    }, "delay-proxy-in");
    reader.setDaemon(true);
    reader.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing is all that is left to do
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
