package io.outpost.containers.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;

/**
 * The emptyDir usage walk and the pod-volume delete on a tree of {@code directories × files} small files, timed: the
 * cost of one measurement per pod and check interval, and of removing an evicted pod's volume. In the container
 * manager's package, whose classes are not exported (the bench runs on the class path, not in OSGi).
 */
public final class WalkHarness {
  private WalkHarness() {}

  public static void run(int directories, int files, int rounds) throws IOException {
    Path base = Files.createTempDirectory("outpost-walk-bench");
    Path volume = Files.createDirectories(base.resolve("v"));
    for (int d = 0; d < directories; d++) {
      Path dir = Files.createDirectories(volume.resolve("d" + d));
      for (int f = 0; f < files; f++) {
        Files.write(dir.resolve("f" + f), new byte[100]);
      }
    }
    VolumeUsage usage = new VolumeUsage(Integer.MAX_VALUE);
    for (int round = 1; round <= rounds; round++) {
      long start = System.nanoTime();
      VolumeUsage.Usage used;
      try (SecureDirectoryStream<Path> parent = Trees.open(base)) {
        used = usage.measure(parent, volume.getFileName(), Long.MAX_VALUE);
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      System.out.printf("walk round %d: %,d entries, %,d bytes in %,d ms (%,d entries/s)%n", round, used.entries(),
          used.bytes(), ms, used.entries() * 1000 / Math.max(1, ms));
    }
    long start = System.nanoTime();
    Trees.delete(volume);
    System.out.printf("delete: %,d entries in %,d ms%n", (long) directories * files + directories,
        (System.nanoTime() - start) / 1_000_000);
    Files.delete(base);
  }
}
