package io.outpost.containers.impl;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw TCP server on loopback that plays a script on each connection: for tests of the gRPC probe against servers
 * that misbehave as no real gRPC server would. Closing it closes every connection and joins its thread.
 */
final class RawH2Server implements AutoCloseable {
  /** What the server does on one connection. */
  interface Script {
    void run(InputStream in, OutputStream out) throws IOException;
  }

  private final ServerSocket server;
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private final Thread thread;
  final AtomicInteger accepted = new AtomicInteger();

  RawH2Server(Script script) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    thread = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          connections.add(socket);
          accepted.incrementAndGet();
          Thread connection = new Thread(() -> {
            try (socket) {
              script.run(socket.getInputStream(), socket.getOutputStream());
            } catch (IOException e) {
              // the client went away: the script ends with it
            }
          }, "raw-h2-connection");
          connection.setDaemon(true);
          connection.start();
        } catch (IOException e) {
          return; // closed
        }
      }
    }, "raw-h2-server");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Reads the client's preface and its SETTINGS frame. */
  static void readPreface(InputStream in) throws IOException {
    if (in.readNBytes(Http2Frames.PREFACE.length).length < Http2Frames.PREFACE.length) {
      throw new IOException("no preface");
    }
    byte[] header = in.readNBytes(9);
    in.readNBytes(((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff));
  }

  /** Reads the client's frames until its request's DATA ends the stream. */
  static void readRequest(InputStream in) throws IOException {
    while (true) {
      byte[] header = in.readNBytes(9);
      if (header.length < 9) {
        throw new IOException("EOF");
      }
      in.readNBytes(((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff));
      if (header[3] == Http2Frames.DATA && (header[4] & Http2Frames.FLAG_END_STREAM) != 0) {
        return;
      }
    }
  }

  static void settings(OutputStream out) throws IOException {
    Http2Frames.write(out, Http2Frames.SETTINGS, 0, 0, new byte[0]);
    out.flush();
  }

  @Override
  public void close() throws Exception {
    server.close();
    for (Socket socket : connections) {
      socket.close();
    }
    thread.join(5_000);
  }
}
