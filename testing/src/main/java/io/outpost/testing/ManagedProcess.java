package io.outpost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A child process that is ended, with every descendant, by PID when closed. Output goes to a log file. */
public final class ManagedProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private ManagedProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  public static ManagedProcess start(String name, List<String> command, Map<String, String> env, Path workDir,
      Path log) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    try {
      return new ManagedProcess(name, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  /** Runs a command to completion (at most two minutes) and returns its output; fails naming the command. */
  public static String run(List<String> command, Map<String, String> env) {
    return run(command, env, Duration.ofMinutes(2));
  }

  /**
   * Runs a command to completion and returns its output (stdout and stderr); fails naming the command, with its
   * output, if it exits non-zero or is still running after {@code timeout} (then its process tree is killed): a hung
   * command must not hang the test that waits for it.
   */
  public static String run(List<String> command, Map<String, String> env, Duration timeout) {
    Outcome outcome = attempt(command, env, timeout);
    if (outcome.exitCode() != 0) {
      throw new IllegalStateException(command + " failed: " + outcome.output());
    }
    return outcome.output();
  }

  /** How a command ended: its exit code and its output (stdout and stderr together). */
  public record Outcome(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /**
   * Runs a command to completion and returns how it ended, a non-zero exit included (for probes whose failure is an
   * answer, such as a connection that must be refused); fails only if it cannot start or is still running after
   * {@code timeout} (then its process tree is killed).
   */
  public static Outcome attempt(List<String> command, Map<String, String> env, Duration timeout) {
    Path output = null;
    try {
      output = Files.createTempFile("outpost-run", ".out");
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(output.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        List<ProcessHandle> descendants = process.descendants().toList();
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        throw new IllegalStateException(command + " did not finish within " + timeout + "; output so far: "
            + text(output));
      }
      return new Outcome(process.exitValue(), text(output));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException e) {
          // a temp file left behind is not worth failing the command's caller for
        }
      }
    }
  }

  private static String text(Path file) throws IOException {
    return new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  /** Like {@code kill -9}: the process and its descendants die at once, without any chance to clean up. */
  public void kill() {
    List<ProcessHandle> descendants = process.descendants().toList();
    descendants.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(30));
    awaitExit(descendants, Duration.ofSeconds(30));
  }

  /** Asks the process tree to stop (SIGTERM), waits for all of it, and kills what is left after 20 s. */
  @Override
  public void close() {
    List<ProcessHandle> descendants = process.descendants().toList();
    if (!process.isAlive() && descendants.isEmpty()) {
      return;
    }
    process.destroy();
    descendants.forEach(ProcessHandle::destroy);
    boolean stopped = waitFor(Duration.ofSeconds(20)) && awaitExit(descendants, Duration.ofSeconds(20));
    if (!stopped) {
      descendants.forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(30));
      awaitExit(descendants, Duration.ofSeconds(30));
    }
  }

  /** Waits until every handle has exited (a JVM child holds file locks until it is gone). */
  private boolean awaitExit(List<ProcessHandle> handles, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ProcessHandle handle : handles) {
      try {
        handle.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return false;
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("waiting for " + name + " to exit", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while stopping " + name, e);
      }
    }
    return true;
  }

  private boolean waitFor(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping " + name, e);
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ", log " + log + ")";
  }
}
