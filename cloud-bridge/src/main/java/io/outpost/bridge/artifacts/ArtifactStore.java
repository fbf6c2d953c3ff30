package io.outpost.bridge.artifacts;

import io.outpost.bridge.kube.GatewayAnnotations;
import io.outpost.bridge.metrics.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's copies of rollout artifacts, by SHA-256: fetched once from the rollout's {@code source} (an
 * {@code https://} or {@code http://} URL, or {@code file:<name>} in the {@code sources} folder of the artifact
 * directory — never a path outside it), kept only if the size and SHA-256 are the signed manifest's, then read in
 * chunks for any number of nodes. A fetch runs on its own thread; until it has succeeded the artifact is unavailable
 * (the nodes ask again later), and a failed fetch is retried after a jittered back-off of 10 s to 5 min. Thread-safe.
 */
public final class ArtifactStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ArtifactStore.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(10);
  private static final Duration LAST_RETRY = Duration.ofMinutes(5);
  /** The longest one fetch may take (64 MiB at 120 KB/s): longer, and its source is closed and it failed. */
  static final Duration FETCH_DEADLINE = Duration.ofMinutes(10);

  private final Path dir;
  private final boolean temporary;
  private final ExecutorService fetcher;
  private final Metrics metrics;
  private final Clock clock;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
      .followRedirects(HttpClient.Redirect.NORMAL).build();
  /** Artifacts being fetched or whose fetch failed, by SHA-256. */
  private final Map<String, Fetch> fetches = new ConcurrentHashMap<>();

  private record Fetch(boolean running, String failure, int failures, Instant retryAt) {}

  /** {@code dir} null: a temporary directory of this process, deleted at {@link #close()}. */
  public ArtifactStore(Path dir, ExecutorService fetcher, Metrics metrics, Clock clock) {
    try {
      this.temporary = dir == null;
      this.dir = dir == null ? Files.createTempDirectory("outpost-bridge-artifacts") : dir;
      Files.createDirectories(this.dir.resolve("sources"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the artifact directory " + dir, e);
    }
    this.fetcher = fetcher;
    this.metrics = metrics;
    this.clock = clock;
  }

  public Path directory() {
    return dir;
  }

  /**
   * The verified copy of {@code target}'s artifact, or empty while it is not there yet (a fetch is then started, or
   * retried once its back-off has passed).
   */
  public Optional<Path> artifact(GatewayAnnotations.Target target) {
    Path file = dir.resolve(target.sha256());
    if (Files.isRegularFile(file)) {
      return Optional.of(file);
    }
    Instant now = clock.instant();
    Fetch[] started = new Fetch[1];
    fetches.compute(target.sha256(), (sha, fetch) -> {
      if (fetch != null && (fetch.running() || now.isBefore(fetch.retryAt()))) {
        return fetch;
      }
      Fetch running = new Fetch(true, fetch == null ? null : fetch.failure(), fetch == null ? 0 : fetch.failures(),
          now);
      started[0] = running;
      return running;
    });
    if (started[0] != null) {
      fetcher.execute(() -> fetch(target, started[0].failures()));
    }
    return Optional.empty();
  }

  /** Why the artifact is not available, if its last fetch failed. */
  public Optional<String> failure(String sha256) {
    Fetch fetch = fetches.get(sha256);
    return fetch == null ? Optional.empty() : Optional.ofNullable(fetch.failure());
  }

  /** Reads chunk {@code index} of a verified artifact: {@code chunkSize} bytes, the last one the rest. */
  public static byte[] chunk(Path artifact, long size, int chunkSize, int index) throws IOException {
    long offset = (long) index * chunkSize;
    if (offset >= size) {
      throw new IllegalArgumentException("chunk " + index + " of " + chunkSize + " bytes is beyond the artifact's "
          + size + " bytes");
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(chunkSize, size - offset));
    try (FileChannel file = FileChannel.open(artifact, StandardOpenOption.READ)) {
      while (buffer.hasRemaining()) {
        if (file.read(buffer, offset + buffer.position()) < 0) {
          throw new IOException("artifact " + artifact + " is shorter than " + size + " bytes");
        }
      }
    }
    return buffer.array();
  }

  private void fetch(GatewayAnnotations.Target target, int failures) {
    Path partial = dir.resolve(target.sha256() + ".fetching");
    try {
      InputStream source = open(target.source());
      // A source that stalls in the middle of its body would hold the fetch thread, and every other artifact, for
      // ever: the stream is closed at the deadline, which fails the read.
      java.util.concurrent.CompletableFuture.delayedExecutor(FETCH_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
          .execute(() -> closeQuietly(source));
      try (InputStream in = source; OutputStream out = Files.newOutputStream(partial)) {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
          total += n;
          if (total > target.size()) {
            throw new IOException("the source has more than the manifest's " + target.size() + " bytes");
          }
          digest.update(buffer, 0, n);
          out.write(buffer, 0, n);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (total != target.size() || !actual.equals(target.sha256())) {
          throw new IOException("the source's " + total + " bytes have SHA-256 " + actual + ", the signed manifest"
              + " says " + target.size() + " bytes, " + target.sha256());
        }
      }
      try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      // Another fetch of the same artifact may have finished first: the same verified bytes, replaced.
      Files.move(partial, dir.resolve(target.sha256()), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      fetches.remove(target.sha256());
      metrics.increment("outpost_bridge_artifact_fetches_total", "result", "ok");
      LOG.info("Artifact {} {} ({} bytes, SHA-256 {}) fetched from {}", target.name(), target.version(),
          target.size(), target.sha256(), target.source());
    } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
      deleteQuietly(partial);
      long ceiling = Math.min(LAST_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(failures, 10));
      Instant retryAt = clock.instant().plusMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      fetches.put(target.sha256(), new Fetch(false, why, failures + 1, retryAt));
      metrics.increment("outpost_bridge_artifact_fetches_total", "result", "failed");
      LOG.warn("Artifact {} {} could not be fetched from {} (retried from {}): {}", target.name(), target.version(),
          target.source(), retryAt, why);
    }
  }

  private InputStream open(String source) throws IOException {
    if (source.startsWith("file:")) {
      String name = source.substring("file:".length());
      Path sources = dir.resolve("sources");
      Path file = sources.resolve(name).normalize();
      if (name.isEmpty() || name.contains("/") || !file.getParent().equals(sources)) {
        throw new IOException("a file: source names a file in " + sources + ", not " + name);
      }
      return Files.newInputStream(file);
    }
    URI uri;
    try {
      uri = URI.create(source);
    } catch (IllegalArgumentException e) {
      throw new IOException("source is not a URL: " + source);
    }
    if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
      throw new IOException("source must be https://, http:// or file:<name>, not " + source);
    }
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build();
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        response.body().close();
        throw new IOException(source + " answered HTTP " + response.statusCode());
      }
      return response.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching " + source);
    }
  }

  private static void closeQuietly(InputStream stream) {
    try {
      stream.close();
    } catch (IOException e) {
      LOG.debug("Closing a source stream: {}", e.getMessage());
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.debug("Could not delete {}: {}", file, e.getMessage());
    }
  }

  /** Stops fetching; a temporary directory is deleted. */
  @Override
  public void close() {
    fetcher.shutdownNow();
    if (temporary) {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(ArtifactStore::deleteQuietly);
      } catch (IOException e) {
        LOG.debug("Could not delete {}: {}", dir, e.getMessage());
      }
    }
  }
}
