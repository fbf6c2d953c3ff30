package io.outpost.quickstart;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The quickstart edge node's Karaf console over SSH, set up the way docs/security.md tells an operator to: a key
 * pair kept in the quickstart's state directory ({@code console-key}, made once with {@code ssh-keygen}), its
 * public key in the node's {@code etc/keys.properties} for the user {@code outpost} in the admin group, and the
 * node's own SSH port (a free loopback port per run). The node makes a new host key on every run, so the host key
 * is remembered in a known-hosts file of the state directory, emptied per run, never in the user's own.
 */
final class Console {
  static final String USER = "outpost";
  private static final Pattern SSH_PORT = Pattern.compile("(?m)^\\s*sshPort\\s*=\\s*(\\d+)\\s*$");
  private final Path key;
  private final Path knownHosts;
  private final int port;

  private Console(Path key, Path knownHosts, int port) {
    this.key = key;
    this.knownHosts = knownHosts;
    this.port = port;
  }

  /** Makes the key pair if there is none yet and lets it into the (not yet started) node at {@code edgeHome}. */
  static Console install(Path work, Path edgeHome) throws IOException {
    Path key = work.resolve("console-key");
    if (!Files.exists(key)) {
      run(List.of("ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-C", "outpost-quickstart", "-f",
          key.toString()), 60);
    }
    String[] publicKey = Files.readString(key.resolveSibling("console-key.pub")).trim().split("\\s+");
    if (publicKey.length < 2) {
      throw new IllegalStateException("not an OpenSSH public key: " + key + ".pub");
    }
    Files.writeString(edgeHome.resolve("etc/keys.properties"),
        "\n# the quickstart's console key (" + key + ")\n" + USER + " = " + publicKey[1] + ",_g_:admingroup\n",
        StandardOpenOption.APPEND);
    Path knownHosts = work.resolve("console-known_hosts");
    Files.deleteIfExists(knownHosts);
    Matcher port = SSH_PORT.matcher(Files.readString(edgeHome.resolve("etc/org.apache.karaf.shell.cfg")));
    if (!port.find()) {
      throw new IllegalStateException("no sshPort in " + edgeHome.resolve("etc/org.apache.karaf.shell.cfg"));
    }
    return new Console(key, knownHosts, Integer.parseInt(port.group(1)));
  }

  /** The ssh command that opens the console (the quickstart prints it); append a console command to run one. */
  List<String> command() {
    return List.of("ssh", "-p", Integer.toString(port), "-i", key.toString(),
        "-o", "UserKnownHostsFile=" + knownHosts, "-o", "StrictHostKeyChecking=accept-new", USER + "@127.0.0.1");
  }

  /** Runs one console command through {@link #command()} and returns its output; fails with it if ssh fails. */
  String execute(String consoleCommand) {
    List<String> command = new ArrayList<>(command());
    command.add(consoleCommand);
    return run(command, 60);
  }

  private static String run(List<String> command, long timeoutSeconds) {
    Path output = null;
    try {
      output = Files.createTempFile("outpost-console", ".out");
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(output.toFile()).start();
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(command + " did not end within " + timeoutSeconds + " s: "
            + Files.readString(output, StandardCharsets.UTF_8));
      }
      String text = Files.readString(output, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(command + " failed (exit " + process.exitValue() + "): " + text);
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.get(0) + " (scripts/setup.sh installs"
          + " openssh-client)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + command, e);
    } finally {
      if (output != null) {
        output.toFile().delete();
      }
    }
  }
}
