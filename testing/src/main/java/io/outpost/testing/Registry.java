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
 * A real container registry (Debian's {@code docker-registry}, the CNCF Distribution registry, installed by
 * scripts/setup.sh) on an ephemeral loopback port, over plain HTTP, requiring one user's basic auth (bcrypt
 * htpasswd). A Podman service pulls from it only when started with {@link #podmanEnvironment()}, which marks exactly
 * this registry as insecure (plain HTTP) in a private registries.conf.
 */
public final class Registry implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final ManagedProcess process;

  private Registry(Path dir, int port, ManagedProcess process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  public static Registry start(Path dir, String user, String password) {
    int port = Ports.free();
    try {
      Files.createDirectories(dir.resolve("data"));
      Files.writeString(dir.resolve("htpasswd"),
          ManagedProcess.run(List.of("htpasswd", "-Bbn", user, password), Map.of()).strip() + "\n");
      Files.writeString(dir.resolve("config.yml"), String.join("\n",
          "# written by io.outpost.testing.Registry: tests only (plain HTTP on loopback)",
          "version: 0.1",
          "log: {level: warn}",
          "storage: {filesystem: {rootdirectory: " + dir.resolve("data") + "}}",
          "http: {addr: 127.0.0.1:" + port + "}",
          "auth: {htpasswd: {realm: outpost-test, path: " + dir.resolve("htpasswd") + "}}",
          ""));
      Files.writeString(dir.resolve("registries.conf"), String.join("\n",
          "# written by io.outpost.testing.Registry",
          "[[registry]]",
          "location = \"127.0.0.1:" + port + "\"",
          "insecure = true",
          ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ManagedProcess process = ManagedProcess.start("docker-registry",
        List.of("docker-registry", "serve", dir.resolve("config.yml").toString()), Map.of(), dir,
        dir.resolve("registry.log"));
    await("registry on port " + port).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("registry exited: " + Files.readString(process.log()));
          }
          return Ports.accepts(port);
        });
    return new Registry(dir, port, process);
  }

  /** {@code 127.0.0.1:<port>}, the registry part of image names. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Environment for a Podman service that may pull from this registry over plain HTTP. */
  public Map<String, String> podmanEnvironment() {
    return Map.of("CONTAINERS_REGISTRIES_CONF", dir.resolve("registries.conf").toString());
  }

  /**
   * Pushes a local image as {@code <address>/<repository>} with the given credentials and removes the local tag;
   * returns the full image name.
   */
  public String push(String localImage, String repository, String user, String password) {
    String name = address() + "/" + repository;
    Podman.cli("tag", localImage, name);
    try {
      Podman.cli("push", "--quiet", "--tls-verify=false", "--creds", user + ":" + password, name);
    } finally {
      Podman.cli("rmi", name);
    }
    return name;
  }

  @Override
  public void close() {
    process.close();
  }
}
