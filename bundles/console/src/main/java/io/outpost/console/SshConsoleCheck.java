package io.outpost.console;

import io.outpost.metrics.MetricSource;
import java.net.SocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.server.SshServer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a console that cannot listen loud. Karaf's SSH server ({@code sshHost}/{@code sshPort} in
 * {@code etc/org.apache.karaf.shell.cfg}) logs a failed bind once, as a WARN, and Karaf runs on without a console. This
 * component looks at the server Karaf registers: while it is not bound, an ERROR names the address, the port, the file
 * and what to do (on every change of state, not every check), {@code outpost_edge_console_listening} is 0 on the
 * node's {@code /metrics} and in its heartbeats (so the bridge's {@code /metrics} shows it), and {@code outpost:status}
 * says so on the local console.
 */
@Component(service = {SshConsoleCheck.class, MetricSource.class}, immediate = true)
public final class SshConsoleCheck implements MetricSource {
  private static final Logger LOG = LoggerFactory.getLogger(SshConsoleCheck.class);
  static final String METRIC = "outpost_edge_console_listening";
  private static final String FILE = "etc/org.apache.karaf.shell.cfg";

  /** Karaf's SSH server, registered before it starts; absent without the ssh feature or while it restarts. */
  @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
  volatile SshServer server;

  private final ScheduledExecutorService executor;
  /** The last state logged: null before the first check. */
  private Boolean lastListening;

  @Activate
  public SshConsoleCheck() {
    executor = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "outpost-console-check"));
    // Karaf binds its port while it starts: the first look is a few seconds later, then every 30 s.
    executor.scheduleWithFixedDelay(this::check, 5, 30, TimeUnit.SECONDS);
  }

  /** The check for one given server (tests; the component uses the one Karaf registers). */
  SshConsoleCheck(SshServer server) {
    this.executor = null;
    this.server = server;
  }

  @Deactivate
  void deactivate() {
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  /** True while Karaf's SSH server is bound to its port. */
  public boolean listening() {
    SshServer current = server;
    if (current == null) {
      return false;
    }
    Set<SocketAddress> bound = current.getBoundAddresses();
    return current.isStarted() && bound != null && !bound.isEmpty();
  }

  /** One line for {@code outpost:status}. */
  public String describe() {
    SshServer current = server;
    if (current == null) {
      return "no SSH server (the ssh feature is not running)";
    }
    return listening() ? "listening on " + current.getBoundAddresses()
        : "NOT listening: " + where(current) + " could not be bound (" + FILE + "; karaf.log has the cause)";
  }

  /** Logs a change of state: an ERROR when the console is not reachable, INFO when it is again. */
  synchronized void check() {
    SshServer current = server;
    if (current == null) {
      return;
    }
    boolean now = listening();
    if (lastListening == null || lastListening != now) {
      if (now) {
        LOG.info("Console (SSH) listening on {}", current.getBoundAddresses());
      } else {
        LOG.error("The console's SSH server is NOT listening: {} could not be bound (sshHost/sshPort in {}). Another"
            + " process holds the port, or the address is not this host's: free it, or set another sshPort and"
            + " restart; karaf.log has Karaf's own message ('Exception caught while starting SSH server')",
            where(current), FILE);
      }
      lastListening = now;
    }
  }

  private static String where(SshServer server) {
    String host = server.getHost() == null || server.getHost().isBlank() ? "0.0.0.0" : server.getHost();
    return host + ":" + server.getPort();
  }

  @Override
  public Map<String, Double> metrics() {
    return server == null ? Map.of() : Map.of(METRIC, listening() ? 1.0 : 0.0);
  }
}
