package io.outpost.network.site;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the node's network tools ({@code ip}, {@code nft}, {@code sysctl}) as child processes, optionally inside a
 * network namespace ({@code ip netns exec <ns>}: how the tests run everything against namespaces of their own). A
 * command that fails, or outlives {@link #TIMEOUT_SECONDS}, raises {@link CommandException} with its output.
 */
public final class HostCommands {
  static final long TIMEOUT_SECONDS = 30;
  /** The most output kept from one command (route and rule listings of a site are far smaller). */
  static final int MAX_OUTPUT = 4 * 1024 * 1024;

  private final List<String> prefix;

  private HostCommands(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
  }

  /** Commands on the node itself. */
  public static HostCommands host() {
    return new HostCommands(List.of());
  }

  /** Commands inside the named network namespace. */
  public static HostCommands inNamespace(String namespace) {
    return new HostCommands(List.of("ip", "netns", "exec", namespace));
  }

  /** A failed command: its command line and what it printed. */
  public static final class CommandException extends Exception {
    private static final long serialVersionUID = 1L;

    CommandException(String message) {
      super(message);
    }
  }

  /** Runs {@code argv} without input; returns its output (stdout and stderr together). */
  public String run(String... argv) throws CommandException {
    return run(null, List.of(argv));
  }

  /** Runs {@code argv} with {@code stdin} (null for none); returns its output (stdout and stderr together). */
  public String run(String stdin, List<String> argv) throws CommandException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(argv);
    String line = String.join(" ", argv);
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new CommandException(line + ": cannot start: " + e.getMessage());
    }
    try {
      try (OutputStream in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      String output = read(process.getInputStream());
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new CommandException(line + ": no answer within " + TIMEOUT_SECONDS + " s");
      }
      if (process.exitValue() != 0) {
        throw new CommandException(line + ": exit " + process.exitValue() + ": " + output.strip());
      }
      return output;
    } catch (IOException e) {
      process.destroyForcibly();
      throw new CommandException(line + ": " + e.getMessage());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new CommandException(line + ": interrupted");
    }
  }

  private static String read(InputStream from) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int n;
    while ((n = from.read(buffer)) >= 0) {
      if (out.size() < MAX_OUTPUT) {
        out.write(buffer, 0, Math.min(n, MAX_OUTPUT - out.size()));
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
