package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.VolumeV1;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pod's {@code fsGroup} on the volumes the node makes for it, as the kubelet's {@code volume.SetVolumeOwnership}
 * does: an emptyDir's directory gets the group and the setgid bit (files the pod creates there belong to the group),
 * and every file and directory of its ConfigMap, Secret and projected volumes is given the group, readable by it
 * ({@code g+r}, directories {@code g+rx} and setgid), after each write. Never follows a symlink (links are re-owned
 * themselves, {@code lchown}), never touches a hostPath, and inside an emptyDir only its top directory (what the pod
 * wrote there is the pod's). The layout is {@link Volumes}': {@code <uid>/empty/<name>}, {@code <uid>/data/<name>}.
 */
final class FsGroupOwnership {
  private static final Logger LOG = LoggerFactory.getLogger(FsGroupOwnership.class);
  private static final int SETGID = 02000;

  private final Path root;

  FsGroupOwnership(Path root) {
    this.root = root;
  }

  /** Gives the pod's volumes its fsGroup; nothing if it has none. */
  void apply(ObjectRef ref, PodV1 pod) {
    Long group = pod.security().fsGroup();
    if (group == null || pod.volumes() == null) {
      return;
    }
    int gid = group.intValue();
    Path dir = root.resolve(ref.uid());
    for (VolumeV1 volume : pod.volumes()) {
      try {
        if (volume.emptyDir() != null) {
          own(dir.resolve("empty").resolve(Naming.sanitise(volume.name())), gid, 0660 | 0110 | SETGID);
        } else if (volume.hostPath() == null && volume.unsupported() == null) {
          tree(dir.resolve("data").resolve(Naming.sanitise(volume.name())), gid);
        }
      } catch (IOException e) {
        LOG.warn("Pod {}: volume {} not given fsGroup {}: {}", ref.key(), volume.name(), gid, e.getMessage());
      }
    }
  }

  private static void tree(Path top, int gid) throws IOException {
    if (!Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(top, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        own(dir, gid, 0440 | 0110 | SETGID);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        own(file, gid, attrs.isSymbolicLink() ? 0 : 0440);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Sets the group (of a link itself, not its target) and adds {@code bits} to the mode of non-links. */
  private static void own(Path path, int gid, int bits) throws IOException {
    if (Files.notExists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Map<String, Object> attrs = Files.readAttributes(path, "unix:gid,mode", LinkOption.NOFOLLOW_LINKS);
    if ((Integer) attrs.get("gid") != gid) {
      Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }
    int mode = (Integer) attrs.get("mode") & 07777;
    if (bits != 0 && !Files.isSymbolicLink(path) && (mode | bits) != mode) {
      Files.setAttribute(path, "unix:mode", mode | bits, LinkOption.NOFOLLOW_LINKS);
    }
  }
}
