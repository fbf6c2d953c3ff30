package io.outpost.rollout.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures.Refused;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Artifacts assembled from chunks on disk: any order, duplicates, resumption after a restart, digest enforced. */
class ChunkAssemblerTest {
  private static final int CHUNK = ChunkAssembler.MIN_CHUNK;
  @TempDir Path dir;

  private static byte[] content(int size) {
    byte[] bytes = new byte[size];
    new Random(42).nextBytes(bytes);
    return bytes;
  }

  private static ArtifactManifest manifest(byte[] content) throws Exception {
    String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    return new ArtifactManifest(ArtifactManifest.BUNDLE, "io.outpost.sync", "0.2.0", content.length, digest,
        "ops", "AAAA");
  }

  private static byte[] chunk(byte[] content, int index) {
    return Arrays.copyOfRange(content, index * CHUNK, Math.min(content.length, (index + 1) * CHUNK));
  }

  @Test
  void chunksInAnyOrderWithDuplicatesAssembleTheArtifact() throws Exception {
    byte[] content = content(CHUNK * 5 + 123);
    ArtifactManifest manifest = manifest(content);
    ChunkAssembler assembler = new ChunkAssembler(dir);
    ChunkAssembler.Transfer transfer = assembler.open(manifest, CHUNK);
    assertThat(transfer.chunkCount()).isEqualTo(6);
    assertThat(transfer.lengthOf(5)).isEqualTo(123);
    for (int index : List.of(5, 0, 3, 1)) {
      assertThat(transfer.accept(index, chunk(content, index))).isTrue();
    }
    assertThat(transfer.accept(3, chunk(content, 3))).as("a duplicate is stored once").isFalse();
    assertThat(transfer.missing(10)).containsExactly(2, 4);
    assertThat(assembler.stored(manifest)).isEmpty();
    transfer.accept(2, chunk(content, 2));
    transfer.accept(4, chunk(content, 4));

    Path file = transfer.finish();
    assertThat(file.getFileName().toString()).isEqualTo(manifest.sha256() + ".jar");
    assertThat(Files.readAllBytes(file)).isEqualTo(content);
    assertThat(assembler.stored(manifest)).contains(file);
    try (var left = Files.list(dir)) {
      assertThat(left).as("no staging files left").containsExactly(file);
    }
  }

  @Test
  void aTransferResumesAfterARestartWithOnlyTheChunksNotStored() throws Exception {
    byte[] content = content(CHUNK * 4);
    ArtifactManifest manifest = manifest(content);
    ChunkAssembler.Transfer first = new ChunkAssembler(dir).open(manifest, CHUNK);
    first.accept(0, chunk(content, 0));
    first.accept(2, chunk(content, 2));

    // The node restarts (or the process is killed): what was acknowledged is on disk.
    ChunkAssembler.Transfer resumed = new ChunkAssembler(dir).open(manifest, CHUNK);
    assertThat(resumed.missing(10)).containsExactly(1, 3);
    resumed.accept(1, chunk(content, 1));
    resumed.accept(3, chunk(content, 3));
    assertThat(Files.readAllBytes(resumed.finish())).isEqualTo(content);
  }

  @Test
  void tamperedBytesAreDiscardedAndRefusedAndTheTransferStartsOver() throws Exception {
    byte[] content = content(CHUNK * 2 + 7);
    ArtifactManifest manifest = manifest(content);
    ChunkAssembler assembler = new ChunkAssembler(dir);
    ChunkAssembler.Transfer transfer = assembler.open(manifest, CHUNK);
    byte[] evil = chunk(content, 1);
    evil[10] ^= 1;
    transfer.accept(0, chunk(content, 0));
    transfer.accept(1, evil);
    transfer.accept(2, chunk(content, 2));

    assertThatThrownBy(transfer::finish).isInstanceOf(Refused.class).hasMessageContaining("tampered")
        .extracting(e -> ((Refused) e).reason()).isEqualTo("digest_mismatch");
    assertThat(assembler.stored(manifest)).isEmpty();
    assertThat(transfer.missing(10)).containsExactly(0, 1, 2);
    try (var left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void chunksOutOfRangeOrOfTheWrongLengthAreRefused() throws Exception {
    byte[] content = content(CHUNK + 1);
    ChunkAssembler.Transfer transfer = new ChunkAssembler(dir).open(manifest(content), CHUNK);
    assertThatThrownBy(() -> transfer.accept(2, new byte[1])).isInstanceOf(Refused.class)
        .extracting(e -> ((Refused) e).reason()).isEqualTo("chunk_out_of_range");
    assertThatThrownBy(() -> transfer.accept(-1, new byte[1])).isInstanceOf(Refused.class);
    assertThatThrownBy(() -> transfer.accept(1, new byte[2])).isInstanceOf(Refused.class)
        .extracting(e -> ((Refused) e).reason()).isEqualTo("chunk_length");
    assertThatThrownBy(() -> transfer.accept(0, new byte[CHUNK + 1])).isInstanceOf(Refused.class);
    assertThat(transfer.missing(10)).containsExactly(0, 1);
    assertThatThrownBy(() -> new ChunkAssembler(dir).open(manifest(content), 100))
        .hasMessageContaining("chunk size");
  }

  @Test
  void stagingOfAnotherChunkSizeOrATruncatedMarkFileStartsOver() throws Exception {
    byte[] content = content(CHUNK * 3);
    ArtifactManifest manifest = manifest(content);
    ChunkAssembler.Transfer first = new ChunkAssembler(dir).open(manifest, CHUNK);
    first.accept(0, chunk(content, 0));
    Path marks = dir.resolve(manifest.sha256() + "." + CHUNK + ".chunks");
    Files.write(marks, new byte[] {1}); // torn: shorter than the chunk count

    ChunkAssembler.Transfer again = new ChunkAssembler(dir).open(manifest, CHUNK);
    assertThat(again.missing(10)).containsExactly(0, 1, 2);
  }
}
