package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emptyDir usage walk on trees a container could have written. */
class VolumeUsageTest {
  @TempDir
  Path dir;

  private final VolumeUsage usage = new VolumeUsage(100_000);

  private VolumeUsage.Usage measure(Path volume, long stopAbove) throws IOException {
    try (SecureDirectoryStream<Path> parent = Trees.open(volume.getParent())) {
      return usage.measure(parent, volume.getFileName(), stopAbove);
    }
  }

  private static long dirSize(Path path) throws IOException {
    return Files.size(path);
  }

  @Test
  void filesAndDirectoriesAreSummed() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("v"));
    Files.write(Files.createDirectories(volume.resolve("a/b")).resolve("one"), new byte[3000]);
    Files.write(volume.resolve("two"), new byte[500]);

    VolumeUsage.Usage result = measure(volume, Long.MAX_VALUE);

    assertThat(result.complete()).isTrue();
    assertThat(result.entries()).isEqualTo(4);
    assertThat(result.bytes()).isEqualTo(3500 + dirSize(volume) + dirSize(volume.resolve("a"))
        + dirSize(volume.resolve("a/b")));
  }

  @Test
  void symlinksAreCountedAsLinksAndNeverFollowed() throws Exception {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.write(outside.resolve("big"), new byte[1_000_000]);
    Path volume = Files.createDirectories(dir.resolve("v"));
    Files.createSymbolicLink(volume.resolve("to-dir"), outside);
    Files.createSymbolicLink(volume.resolve("to-file"), outside.resolve("big"));
    Files.createSymbolicLink(volume.resolve("loop"), Path.of("."));
    Files.createSymbolicLink(volume.resolve("self"), volume.resolve("self"));

    VolumeUsage.Usage result = measure(volume, Long.MAX_VALUE);

    assertThat(result.complete()).isTrue();
    assertThat(result.entries()).isEqualTo(4);
    // A link's size is the length of the text it holds.
    assertThat(result.bytes()).isLessThan(10_000).isEqualTo(dirSize(volume) + outside.toString().length()
        + outside.resolve("big").toString().length() + 1 + volume.resolve("self").toString().length());
  }

  @Test
  void aHardLinkedFileCountsOnce() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("v"));
    Path file = Files.write(volume.resolve("data"), new byte[100_000]);
    for (int i = 0; i < 20; i++) {
      Files.createLink(Files.createDirectories(volume.resolve("d" + i)).resolve("again"), file);
    }

    VolumeUsage.Usage result = measure(volume, Long.MAX_VALUE);

    assertThat(result.entries()).isEqualTo(41);
    assertThat(result.bytes()).isBetween(100_000L, 100_000L + 21 * dirSize(volume.resolve("d0")) + dirSize(volume));
  }

  @Test
  void theWalkStopsOnceTheLimitIsPassed() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("v"));
    for (int i = 0; i < 100; i++) {
      Files.write(volume.resolve("f" + i), new byte[10_000]);
    }

    VolumeUsage.Usage result = measure(volume, 50_000);

    assertThat(result.complete()).isTrue();
    assertThat(result.bytes()).isGreaterThan(50_000);
    assertThat(result.entries()).isLessThan(10);
  }

  @Test
  void deepTreesAndHugeCountsAreBoundedAndSaySo() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("v"));
    nest(volume, VolumeUsage.MAX_DEPTH + 50);
    VolumeUsage.Usage deep = measure(volume, Long.MAX_VALUE);
    assertThat(deep.complete()).isFalse();
    assertThat(deep.incomplete()).contains("nested more than " + VolumeUsage.MAX_DEPTH);
    assertThat(deep.entries()).isEqualTo(VolumeUsage.MAX_DEPTH + 1); // the levels entered and the one not

    Path many = Files.createDirectories(dir.resolve("many"));
    for (int i = 0; i < 50; i++) {
      Files.createFile(many.resolve("f" + i));
    }
    VolumeUsage.Usage counted;
    try (SecureDirectoryStream<Path> parent = Trees.open(dir)) {
      counted = new VolumeUsage(20).measure(parent, Path.of("many"), Long.MAX_VALUE);
    }
    assertThat(counted.complete()).isFalse();
    assertThat(counted.incomplete()).isEqualTo("more than 20 files and directories");
  }

  @Test
  void aTreeDeeperThanPathMaxIsDeletedWithoutRecursion() throws Exception {
    Path volume = Files.createDirectories(dir.resolve("v"));
    // Deeper than the descriptor limit (ulimit -n, 20000 on the build machines) and than PATH_MAX allows by path.
    nest(volume, 25_000);
    Path outside = Files.writeString(dir.resolve("outside"), "keep");
    Files.createSymbolicLink(volume.resolve("link"), outside);

    Trees.delete(volume);

    assertThat(volume).doesNotExist();
    assertThat(dir).isDirectoryContaining(p -> p.getFileName().toString().equals("outside"));
    assertThat(outside).hasContent("keep");
  }

  /**
   * {@code depth} directories {@code d/d/d/…} below {@code top} and a file at the bottom, made through relative
   * access only (as a container can, with {@code mkdir d; cd d} in a loop), so deeper than PATH_MAX allows by path.
   */
  private void nest(Path top, int depth) throws IOException {
    Path staging = Files.createDirectories(dir.resolve("staging"));
    SecureDirectoryStream<Path> current = Trees.open(top);
    try {
      for (int i = 0; i < depth; i++) {
        Files.createDirectory(staging.resolve("d"));
        try (SecureDirectoryStream<Path> from = Trees.open(staging)) {
          from.move(Path.of("d"), current, Path.of("d"));
        }
        SecureDirectoryStream<Path> next = current.newDirectoryStream(Path.of("d"), LinkOption.NOFOLLOW_LINKS);
        current.close();
        current = next;
      }
      current.newByteChannel(Path.of("f"), Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)).close();
    } finally {
      current.close();
    }
  }
}
