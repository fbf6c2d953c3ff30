package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport.ContainerStateV1;
import io.outpost.protocol.PodV1.ContainerV1;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Termination messages as the kubelet keeps them: each container gets a file of the node bind-mounted at its
 * {@code terminationMessagePath} (default {@code /dev/termination-log}; kubelet_pods.go {@code makeMounts}, mode
 * 0666 so any user of the container can write it, and it works with a read-only root filesystem). When the container
 * has terminated, the last {@value #MAX_MESSAGE} bytes of that file ({@code tail.ReadAtMost}) become
 * {@code state.terminated.message}; with {@code FallbackToLogsOnError}, an empty file and a non-zero exit code, the
 * last {@value #FALLBACK_LINES} lines of its log, at most {@value #FALLBACK_BYTES} bytes, stand in for it
 * ({@code readLastStringFromContainerLogs}). A message of the engine is kept in front ({@code "<engine>: <file>"}).
 *
 * <p>The files live in {@code <volumes>/.termination/<pod uid>/<container>}, on the node's volume filesystem, and
 * are removed with the pod's volumes. A
 * container sees only the file's content: it cannot replace the mount point (the engine refuses to unlink it), and
 * the node opens the file without following symlinks, checks it is a regular file, and reads at most
 * {@value #MAX_MESSAGE} bytes whatever its size. The manager empties the file before it starts the container again,
 * as the kubelet's new container of each restart gets a new file.
 */
final class TerminationMessages {
  private static final Logger LOG = LoggerFactory.getLogger(TerminationMessages.class);
  /** kubecontainer {@code MaxContainerTerminationMessageLength}. */
  static final int MAX_MESSAGE = 4096;
  /** kubecontainer {@code MaxContainerTerminationMessageLogLines} and {@code …LogLength}. */
  static final int FALLBACK_LINES = 80;
  static final int FALLBACK_BYTES = 2048;

  /** How {@link LogCollector} starts a log it cut. */
  private static final String TRUNCATED = "[... older log lines left out";

  /** Under the volumes directory, beside the pods' own directories (which hold only their volumes). */
  static final String DIR = ".termination";

  private final ContainerEngine engine;
  private final Path root;
  /** Container id + finish time → the terminated state read for that run (a file read and a log request once). */
  private final Map<String, ContainerStateV1> read = new ConcurrentHashMap<>();

  TerminationMessages(ContainerEngine engine, Path volumesDir) {
    this.engine = engine;
    this.root = volumesDir;
  }

  /** The file of the node for container {@code name} of the pod. */
  Path file(String uid, String name) {
    return root.resolve(DIR).resolve(uid).resolve(Naming.sanitise(name));
  }

  /**
   * Creates (or empties) the container's termination-message file and returns its mount; the container is created
   * with it.
   */
  Volumes.Mount mount(ObjectRef ref, ContainerV1 spec) throws IOException {
    Path file = file(ref.uid(), spec.name());
    Files.createDirectories(file.getParent());
    empty(file);
    return new Volumes.Mount(file.toString(), spec.terminationMessageFile(), false);
  }

  /** Empties the container's file before the container is started again. */
  void reset(ObjectRef ref, ContainerV1 spec) {
    Path file = file(ref.uid(), spec.name());
    try {
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        empty(file);
      }
    } catch (IOException e) {
      LOG.warn("Could not empty the termination-message file of container {} of pod {}: {}", spec.name(),
          ref.key(), e.getMessage());
    }
  }

  private static void empty(Path file) throws IOException {
    try (SeekableByteChannel channel = Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS))) {
      channel.truncate(0);
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
  }

  /**
   * The terminated state of an exited container, with its termination message; {@code spec} null (a container
   * the pod no longer names) gives the engine's state only.
   */
  ContainerStateV1 terminated(ObjectRef ref, ContainerV1 spec, EngineContainer container) {
    ContainerStateV1 plain = StatusMapper.terminated(container);
    if (spec == null) {
      return plain;
    }
    // The exact start time tells runs apart (the engine's second-precision times may not).
    String key = container.id() + "@" + container.started() + "@" + container.finishedAt();
    ContainerStateV1 known = read.get(key);
    if (known != null) {
      return known;
    }
    String message = message(ref, spec, container, plain.exitCode() != null && plain.exitCode() != 0);
    ContainerStateV1 state = message == null || message.isEmpty() ? plain
        : ContainerStateV1.terminated(plain.reason(), plain.message() == null ? message
            : plain.message() + ": " + message, plain.exitCode(), plain.startedAt(), plain.finishedAt());
    read.keySet().removeIf(k -> k.startsWith(container.id() + "@"));
    read.put(key, state);
    return state;
  }

  private String message(ObjectRef ref, ContainerV1 spec, EngineContainer container, boolean failed) {
    boolean fallback = spec.fallbackToLogsOnError() && failed;
    String text;
    try {
      text = tail(file(ref.uid(), spec.name()));
    } catch (NoSuchFileException e) {
      text = "";
    } catch (IOException e) {
      return "Error on reading termination log " + spec.terminationMessageFile() + ": " + e.getMessage();
    }
    if (!text.isEmpty() || !fallback) {
      return text;
    }
    try {
      String log = engine.logs(container.id(), FALLBACK_LINES, FALLBACK_BYTES);
      // The kubelet's circular buffer keeps the newest bytes and says nothing of the rest: no truncation notice.
      return log.startsWith(TRUNCATED) ? log.substring(log.indexOf('\n') + 1) : log;
    } catch (EngineException e) {
      LOG.debug("No log of container {} for its termination message: {}", container.name(), e.getMessage());
      return "";
    }
  }

  /** The last {@value #MAX_MESSAGE} bytes of a regular file, never following a symlink. */
  static String tail(Path file) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attributes.isRegularFile()) {
      throw new IOException("not a regular file");
    }
    try (SeekableByteChannel channel = Files.newByteChannel(file, Set.of(StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS))) {
      long size = channel.size();
      channel.position(Math.max(0, size - MAX_MESSAGE));
      ByteBuffer buffer = ByteBuffer.allocate(MAX_MESSAGE);
      while (buffer.hasRemaining() && channel.read(buffer) > 0) {
        // reads at most MAX_MESSAGE bytes, even if the file grows meanwhile
      }
      return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }
  }

  /** Removes the files of a pod that is gone. */
  void remove(String uid) {
    try {
      Trees.delete(root.resolve(DIR).resolve(uid));
    } catch (IOException e) {
      LOG.warn("Removing the termination-message files of pod uid {} failed: {}", uid, e.getMessage());
    }
  }

  /** Forgets what was read for a container that is gone. */
  void forget(String id) {
    read.keySet().removeIf(k -> k.startsWith(Objects.requireNonNull(id) + "@"));
  }
}
