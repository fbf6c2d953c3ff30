package io.outpost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The built Outpost Karaf distribution, unpacked into a directory and run as its own process ({@code bin/karaf
 * server}), as an operator would run it. Ends the process tree by PID on {@link #close()} or {@link #kill()}.
 */
public final class EdgeNode implements AutoCloseable {
  private static final String CONSOLE_USER = "outpost-test";
  private String consolePassword;
  private final Path home;
  private ManagedProcess process;
  private List<String> launcher = List.of();
  private Map<String, String> environment = Podman.environment();

  private EdgeNode(Path home) {
    this.home = home;
  }

  /** The distribution archive built by karaf-distribution/. */
  public static Path distribution() {
    Path target = Project.root().resolve("karaf-distribution/target");
    try (Stream<Path> files = Files.list(target)) {
      return files.filter(p -> p.getFileName().toString().matches("outpost-karaf-.*\\.tar\\.gz")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no outpost-karaf-*.tar.gz in " + target
              + ": build the distribution first (mvn install)"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + target + ": build the distribution first", e);
    }
  }

  /** The port of the node's Prometheus endpoint ({@code metrics.port} in its configuration). */
  public int metricsPort() {
    return Integer.parseInt(configValue("io.outpost.node.cfg", "metrics.port"));
  }

  /**
   * Unpacks the distribution into {@code dir} and keeps its shipped {@code io.outpost.node.cfg} (every setting a user
   * gets), changing only what a test machine must: the node name, broker, engine, the infra image (tests run
   * offline: the local test image instead of the pause image) and free ports for metrics and SSH. For benchmarks,
   * which must measure what users run.
   */
  public static EdgeNode installAsShipped(Path dir, String nodeName, String brokerUrl, String engineHost) {
    try {
      EdgeNode node = unpack(dir);
      node.editConfig("io.outpost.node.cfg", "node.name", nodeName);
      node.editConfig("io.outpost.node.cfg", "broker.url", brokerUrl);
      node.editConfig("io.outpost.node.cfg", "insecure.plaintext", Boolean.toString(isPlaintext(brokerUrl)));
      node.editConfig("io.outpost.node.cfg", "engine.host", engineHost);
      node.editConfig("io.outpost.node.cfg", "infra.image", Podman.TEST_IMAGE);
      node.editConfig("io.outpost.node.cfg", "infra.command", "sleep 2147483647");
      node.editConfig("io.outpost.node.cfg", "metrics.port", Integer.toString(Ports.free()));
      node.editConfig("org.apache.karaf.shell.cfg", "sshPort", Integer.toString(Ports.free()));
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static EdgeNode unpack(Path dir) throws IOException {
    Files.createDirectories(dir);
    run(List.of("tar", "-xzf", distribution().toString(), "-C", dir.toString(), "--strip-components=1"), dir);
    return new EdgeNode(dir);
  }

  /**
   * Unpacks the distribution into {@code dir} and writes the node configuration (with fast test timings); with a
   * plain-MQTT {@code brokerUrl} also {@code insecure.plaintext = true}.
   */
  public static EdgeNode install(Path dir, String nodeName, String brokerUrl, String engineHost) {
    try {
      EdgeNode node = unpack(dir);
      Map<String, String> config = new LinkedHashMap<>();
      config.put("node.name", nodeName);
      config.put("broker.url", brokerUrl);
      // A test's or the quickstart's own broker on this machine: plain MQTT allowed explicitly, as a node refuses it
      // otherwise (a test of that refusal sets it back to false).
      config.put("insecure.plaintext", Boolean.toString(isPlaintext(brokerUrl)));
      config.put("data.dir", "outpost");
      config.put("engine.host", engineHost);
      // Tests run offline: the pods' infra containers come from the local test image instead of the pause image.
      config.put("infra.image", Podman.TEST_IMAGE);
      config.put("infra.command", "sleep 2147483647");
      config.put("heartbeat.interval.seconds", "2");
      config.put("resync.interval.seconds", "5");
      config.put("reconnect.max.seconds", "5");
      config.put("metrics.port", Integer.toString(Ports.free())); // nodes side by side: each its own port
      node.writeConfig("io.outpost.node.cfg", config);
      node.editConfig("org.apache.karaf.shell.cfg", "sshPort", Integer.toString(Ports.free()));
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** True for a broker URL without TLS ({@code tcp://}, {@code ws://}), which a node uses only when allowed to. */
  public static boolean isPlaintext(String brokerUrl) {
    return brokerUrl.startsWith("tcp://") || brokerUrl.startsWith("ws://");
  }

  public Path home() {
    return home;
  }

  public void writeConfig(String file, Map<String, String> values) throws IOException {
    StringBuilder text = new StringBuilder("# written by io.outpost.testing.EdgeNode\n");
    values.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
    Files.writeString(home.resolve("etc").resolve(file), text);
  }

  /** Replaces (or appends) one {@code key = value} line of an etc/ file. */
  public void editConfig(String file, String key, String value) throws IOException {
    Path path = home.resolve("etc").resolve(file);
    List<String> lines = Files.exists(path) ? Files.readAllLines(path) : List.of();
    StringBuilder text = new StringBuilder();
    boolean found = false;
    for (String line : lines) {
      if (line.matches("\\s*" + java.util.regex.Pattern.quote(key) + "\\s*=.*")) {
        text.append(key).append(" = ").append(value).append('\n');
        found = true;
      } else {
        text.append(line).append('\n');
      }
    }
    if (!found) {
      text.append(key).append(" = ").append(value).append('\n');
    }
    Files.writeString(path, text);
  }

  /**
   * Gives this test installation a console user with a random password (the distribution ships none) so that
   * {@link #console} can run commands over SSH on the loopback port {@link #install} chose. Call before start.
   */
  public EdgeNode withConsoleUser() throws IOException {
    consolePassword = java.util.UUID.randomUUID().toString();
    Files.writeString(home.resolve("etc/users.properties"), String.join("\n",
        "# written by io.outpost.testing.EdgeNode for tests",
        CONSOLE_USER + " = " + consolePassword + ",_g_:admingroup",
        "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh", ""));
    return this;
  }

  /**
   * Starts Karaf (and runs console commands) through {@code launcher}, e.g. {@link NetNamespaces#exec} for a node in
   * its own network namespace, whose console port is on that namespace's loopback. Call before start.
   */
  public EdgeNode withLauncher(List<String> launcher) {
    this.launcher = List.copyOf(launcher);
    return this;
  }

  /** The environment Karaf starts with (default: the project's {@code CONTAINERS_CONF}). Call before start. */
  public EdgeNode withEnvironment(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
    return this;
  }

  /** Runs one console command through Karaf's {@code bin/client} and returns its output; fails if it fails. */
  public String console(String command) {
    if (consolePassword == null) {
      throw new IllegalStateException("install the node withConsoleUser() first");
    }
    String port = configValue("org.apache.karaf.shell.cfg", "sshPort");
    return ManagedProcess.run(NetNamespaces.prefixed(launcher, List.of(home.resolve("bin/client").toString(), "-a",
        port, "-h", "127.0.0.1", "-u", CONSOLE_USER, "-p", consolePassword, "-r", "30", "-d", "1", command)),
        Map.of());
  }

  private String configValue(String file, String key) {
    try {
      return Files.readAllLines(home.resolve("etc").resolve(file)).stream()
          .filter(line -> line.matches("\\s*" + java.util.regex.Pattern.quote(key) + "\\s*=.*"))
          .map(line -> line.substring(line.indexOf('=') + 1).trim()).findFirst()
          .orElseThrow(() -> new IllegalStateException(key + " not set in etc/" + file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts Karaf in the foreground of a child process (no console), output in data/log/console.log. */
  public EdgeNode start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("edge node already running: " + process);
    }
    try {
      Files.createDirectories(home.resolve("data/log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> env = new LinkedHashMap<>(environment);
    process = ManagedProcess.start("karaf", NetNamespaces.prefixed(launcher,
        List.of(home.resolve("bin/karaf").toString(), "server")), env, home, home.resolve("data/log/console.log"));
    return this;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** {@code kill -9} of the Karaf process tree: no shutdown hooks, no bundle stops. */
  public void kill() {
    if (process != null) {
      process.kill();
    }
  }

  /** How often {@code text} occurs in the Karaf log so far. */
  public long logCount(String text) {
    return log().lines().filter(line -> line.contains(text)).count();
  }

  /** The Karaf log, for failure messages. */
  public String log() {
    Path log = home.resolve("data/log/karaf.log");
    try {
      return Files.exists(log) ? Files.readString(log) : "(no karaf.log yet)";
    } catch (IOException e) {
      return "(cannot read karaf.log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }

  private static void run(List<String> command, Path dir) throws IOException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    try {
      if (p.waitFor() != 0) {
        throw new IOException(command + " failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + command, e);
    }
  }
}
