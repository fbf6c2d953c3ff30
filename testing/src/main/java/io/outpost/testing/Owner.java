package io.outpost.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/** The process that owns a resource, as {@code <pid> <start time in ms>}: alive only if that very process runs. */
record Owner(long pid, long startMillis) {
  static Owner current() {
    ProcessHandle self = ProcessHandle.current();
    return new Owner(self.pid(), start(self).orElse(0L));
  }

  String line() {
    return pid + " " + startMillis + "\n";
  }

  /** True if {@code file} names a process that still runs (same PID and start time); false if absent or unreadable. */
  static boolean alive(Path file) {
    try {
      if (!Files.exists(file)) {
        return false;
      }
      String[] fields = Files.readString(file).trim().split("\\s+");
      long pid = Long.parseLong(fields[0]);
      long started = Long.parseLong(fields[1]);
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .map(h -> start(h).map(s -> s == started).orElse(true)).orElse(false);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static Optional<Long> start(ProcessHandle handle) {
    return handle.info().startInstant().map(Instant::toEpochMilli);
  }
}
