package io.outpost.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real Mosquitto broker on an ephemeral loopback port, with its own config and persistence directory. Installed
 * by scripts/setup.sh. {@link #restart(boolean)} can wipe persistence, as a broker that lost its disk would.
 */
public final class Mosquitto implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Tls tls;
  private final List<String> addresses;
  private ManagedProcess process;

  /**
   * A TLS listener requiring client certificates from {@code caCert}'s CA, the certificate's CN as user name, the
   * given ACL file, and a CRL if {@code crl} is not null.
   */
  public record Tls(Path caCert, Path serverCert, Path serverKey, Path aclFile, Path crl) {}

  private Mosquitto(Path dir, int port, Tls tls) {
    this(dir, port, tls, List.of());
  }

  private Mosquitto(Path dir, int port, Tls tls, List<String> addresses) {
    this.dir = dir;
    this.port = port;
    this.tls = tls;
    this.addresses = List.copyOf(addresses);
  }

  /** A broker with a TLS listener ({@link #url()} is {@code ssl://127.0.0.1:<port>}). */
  public static Mosquitto startTls(Path dir, Tls tls) {
    Mosquitto broker = new Mosquitto(dir, Ports.free(), tls);
    broker.writeConfig();
    broker.launch();
    return broker;
  }

  public static Mosquitto start(Path dir) {
    return start(dir, List.of());
  }

  /**
   * A plain broker listening, on the same ephemeral port, on loopback and on each of {@code addresses} (local
   * addresses, e.g. the root end of a {@link SiteLan}'s cloud link, where nodes in other namespaces reach it).
   */
  public static Mosquitto start(Path dir, List<String> addresses) {
    Mosquitto broker = new Mosquitto(dir, Ports.free(), null, addresses);
    broker.writeConfig();
    broker.launch();
    return broker;
  }

  private void writeConfig() {
    try {
      Files.createDirectories(dir.resolve("data"));
      List<String> listener = tls == null
          ? plainListeners()
          : new java.util.ArrayList<>(List.of("# written by io.outpost.testing.Mosquitto: TLS, client certificates",
              "user root", "per_listener_settings false", "listener " + port + " 127.0.0.1",
              "cafile " + tls.caCert(), "certfile " + tls.serverCert(), "keyfile " + tls.serverKey(),
              "require_certificate true", "use_identity_as_username true", "use_username_as_clientid true",
              "allow_anonymous false",
              "acl_file " + tls.aclFile()));
      if (tls != null && tls.crl() != null) {
        listener.add("crlfile " + tls.crl());
      }
      Files.writeString(dir.resolve("mosquitto.conf"), String.join("\n", listener) + "\n" + String.join("\n",
          "persistence true",
          "persistence_location " + dir.resolve("data") + "/",
          "autosave_interval 1",
          "max_queued_messages 100000",
          "message_size_limit 1048576",
          "set_tcp_nodelay true",
          "log_dest stdout",
          "log_type error",
          "log_type warning",
          "log_type notice",
          ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<String> plainListeners() {
    List<String> lines = new java.util.ArrayList<>(List.of(
        "# written by io.outpost.testing.Mosquitto: development only (no TLS, anonymous)", "user root",
        "listener " + port + " 127.0.0.1", "allow_anonymous true"));
    addresses.forEach(address -> lines.add("listener " + port + " " + address));
    return lines;
  }

  private void launch() {
    process = ManagedProcess.start("mosquitto", List.of("mosquitto", "-c", dir.resolve("mosquitto.conf").toString()),
        Map.of(), dir, dir.resolve("mosquitto.log"));
    await("mosquitto on port " + port).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("mosquitto exited: " + Files.readString(process.log()));
          }
          return Ports.accepts(port);
        });
  }

  public int port() {
    return port;
  }

  public String url() {
    return url("127.0.0.1");
  }

  /** The broker's URL on one of the addresses it listens on. */
  public String url(String address) {
    return (tls == null ? "tcp" : "ssl") + "://" + address + ":" + port;
  }

  public long pid() {
    return process.pid();
  }

  public void stop() {
    process.close();
  }

  /** Stops the broker and starts it again on the same port, optionally with its persisted sessions wiped. */
  public void restart(boolean wipePersistence) {
    stop();
    if (wipePersistence) {
      Trees.deleteTree(dir.resolve("data"));
    }
    writeConfig();
    launch();
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }
}
