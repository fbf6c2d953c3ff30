package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.containers.impl.AtomicDirectory.FileContent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The atomic writer against a volume directory that a container has tampered with (as it could through a writable
 * mount): whatever it finds, it neither follows nor deletes anything outside the directory, and rebuilds it.
 */
class AtomicDirectoryTest {
  private static final Map<String, FileContent> V1 = Map.of("a.txt", file("alpha"), "conf/b.txt", file("beta"));
  private static final Map<String, FileContent> V2 = Map.of("a.txt", file("alpha-2"));

  @TempDir
  Path tmp;
  Path dir;
  Path identity;

  @BeforeEach
  void setUp() throws IOException {
    dir = tmp.resolve("volumes/uid/data/cfg");
    identity = Files.createDirectories(tmp.resolve("identity"));
    Files.writeString(identity.resolve("node.key"), "the node's key");
  }

  @Test
  void writesVersionsBehindDataAndKeepsNothingOld() throws IOException {
    assertThat(AtomicDirectory.write(dir, V1)).isTrue();
    assertThat(AtomicDirectory.write(dir, V1)).isFalse();
    assertThat(AtomicDirectory.read(dir)).isEqualTo(V1);
    assertThat(dir.resolve("conf/b.txt")).hasContent("beta");
    assertThat(AtomicDirectory.write(dir, V2)).isTrue();
    assertThat(AtomicDirectory.read(dir)).isEqualTo(V2);
    assertThat(entries()).hasSize(3).contains("..data", "a.txt");
    assertThat(Files.readSymbolicLink(dir.resolve("a.txt"))).isEqualTo(Path.of("..data/a.txt"));
  }

  @Test
  void aDataLinkPointedAtTheNodesIdentityIsReplacedAndTheIdentityLeftIntact() throws IOException {
    AtomicDirectory.write(dir, V1);
    replaceWithLink(dir.resolve("..data"), Path.of("../../../../identity"));

    assertThat(AtomicDirectory.read(dir)).isEmpty(); // not read through the link
    assertThat(AtomicDirectory.write(dir, V1)).isTrue(); // rebuilt, though the files did not change
    assertThat(identity.resolve("node.key")).hasContent("the node's key");
    assertThat(AtomicDirectory.read(dir)).isEqualTo(V1);
    assertThat(Files.readSymbolicLink(dir.resolve("..data")).toString()).startsWith("..").doesNotContain("/");

    replaceWithLink(dir.resolve("..data"), identity); // absolute this time
    AtomicDirectory.write(dir, V2);
    assertThat(identity.resolve("node.key")).hasContent("the node's key");
    assertThat(dir.resolve("a.txt")).hasContent("alpha-2");
  }

  @Test
  void linksPlantedInPlaceOfEntriesAreRemovedAsLinks() throws IOException {
    AtomicDirectory.write(dir, V1);
    String version = Files.readSymbolicLink(dir.resolve("..data")).toString();
    replaceWithLink(dir.resolve("a.txt"), identity.resolve("node.key"));
    replaceWithLink(dir.resolve(version + "/conf"), identity); // inside the version: never read through
    Files.createSymbolicLink(dir.resolve("..2020_01_01_00_00_00.1"), identity); // looks like an old version
    Files.createSymbolicLink(dir.resolve("..data_tmp"), identity);
    Files.createDirectories(dir.resolve("stray"));
    Files.createSymbolicLink(dir.resolve("stray/x"), identity);

    assertThat(AtomicDirectory.write(dir, V1)).isTrue();
    assertThat(identity.resolve("node.key")).hasContent("the node's key");
    assertThat(identity).isDirectoryContaining(p -> p.getFileName().toString().equals("node.key"));
    assertThat(AtomicDirectory.read(dir)).isEqualTo(V1);
    assertThat(dir.resolve("a.txt")).hasContent("alpha");
    assertThat(entries()).hasSize(4).contains("..data", "a.txt", "conf").doesNotContain(version);
  }

  @Test
  void aDirectoryPutInPlaceOfDataIsRemovedWithoutFollowingWhatItHolds() throws IOException {
    AtomicDirectory.write(dir, V1);
    Files.delete(dir.resolve("..data"));
    Files.createDirectories(dir.resolve("..data"));
    Files.createSymbolicLink(dir.resolve("..data/identity"), identity);

    AtomicDirectory.write(dir, V2);
    assertThat(identity.resolve("node.key")).hasContent("the node's key");
    assertThat(Files.isSymbolicLink(dir.resolve("..data"))).isTrue();
    assertThat(AtomicDirectory.read(dir)).isEqualTo(V2);
  }

  @Test
  void aTreeWithLinksOutIsDeletedWithoutTouchingTheirTargets() throws IOException {
    Path pod = Files.createDirectories(tmp.resolve("volumes/uid/empty/scratch/deep"));
    Files.createSymbolicLink(pod.resolve("identity"), identity);
    Files.createSymbolicLink(pod.resolve("key"), identity.resolve("node.key"));

    Trees.delete(tmp.resolve("volumes/uid"));
    assertThat(tmp.resolve("volumes/uid")).doesNotExist();
    assertThat(identity.resolve("node.key")).hasContent("the node's key");
  }

  @Test
  void namesReservedForTheWriterAreRefused() {
    assertThatThrownBy(() -> AtomicDirectory.write(dir, Map.of("..data", file("x"))))
        .hasMessageContaining("reserved");
  }

  private Set<String> entries() throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  private static void replaceWithLink(Path entry, Path target) throws IOException {
    if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
      Trees.delete(entry);
    } else {
      Files.delete(entry);
    }
    Files.createSymbolicLink(entry, target);
  }

  private static FileContent file(String content) {
    return new FileContent(content.getBytes(StandardCharsets.UTF_8), 0644);
  }
}
