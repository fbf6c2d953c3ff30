package io.outpost.network.dns;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The UDP and TCP servers on one address and port. Port 0 picks a free port for UDP and then the same port for TCP
 * (tests); {@link #address()} says which.
 */
final class DnsServer implements AutoCloseable {
  private final UdpServer udp;
  private final TcpServer tcp;
  private final InetSocketAddress address;

  private DnsServer(UdpServer udp, TcpServer tcp) {
    this.udp = udp;
    this.tcp = tcp;
    this.address = udp.address();
  }

  static DnsServer open(InetSocketAddress address, QueryHandler handler, ExecutorService forwarding,
      ScheduledExecutorService watchdog, DnsMetrics metrics, Duration idle, int maxConnections) throws IOException {
    for (int attempt = 0; ; attempt++) {
      UdpServer udp = new UdpServer(address, handler, forwarding, metrics);
      try {
        TcpServer tcp = new TcpServer(new InetSocketAddress(address.getAddress(), udp.address().getPort()), handler,
            metrics, idle, maxConnections, watchdog);
        return new DnsServer(udp, tcp);
      } catch (BindException e) {
        udp.close();
        if (address.getPort() != 0 || attempt == 4) {
          throw e;
        }
      } catch (IOException | RuntimeException e) {
        udp.close();
        throw e;
      }
    }
  }

  /** Where it listens (UDP and TCP). */
  InetSocketAddress address() {
    return address;
  }

  @Override
  public void close() {
    udp.close();
    tcp.close();
  }
}
