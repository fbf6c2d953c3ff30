package io.outpost.sync.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.NodeReport;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The heartbeat's figures measured on a real filesystem and from a /proc laid out as the kernel does. */
class NodeFactsTest {
  @TempDir Path dir;

  private NodeReport report(String evictionHard, Path volumes, String imagefs) {
    NodeStatusSettings settings = NodeStatusSettings.from(evictionHard, "", "", 0, volumes, imagefs);
    return new NodeFacts("edge-1", "1.0.0", 110, settings, Clock.systemUTC()).report(true, "ready", null);
  }

  @Test
  void ephemeralStorageIsTheSizeOfTheFilesystemHoldingVolumesDirEvenBeforeItExists() throws Exception {
    Path volumes = dir.resolve("data/outpost/volumes"); // made with the first pod
    FileStore store = Files.getFileStore(dir);
    NodeReport report = report("nodefs.available<10%", volumes, "");
    assertThat(report.capacity()).containsEntry("ephemeral-storage", Quantities.formatBytes(store.getTotalSpace()))
        .containsKeys("cpu", "memory", "pods");
    assertThat(report.allocatable()).containsEntry("ephemeral-storage",
        Quantities.formatBytes(store.getTotalSpace() - (long) (store.getTotalSpace() * 0.10)));
    assertThat(report.conditions()).extracting(NodeReport.Condition::type)
        .containsExactly("MemoryPressure", "DiskPressure", "PIDPressure");
  }

  @Test
  void diskPressureFollowsWhatTheFilesystemReallyHasAvailable() {
    // A threshold of 100% is never met by a filesystem with anything used; 0% never by any.
    assertThat(condition(report("nodefs.available<100%", dir, ""), "DiskPressure").status()).isEqualTo("True");
    assertThat(condition(report("nodefs.available<0%", dir, ""), "DiskPressure").status()).isEqualTo("False");
    assertThat(condition(report("nodefs.available<0%,imagefs.available<100%", dir, dir.toString()),
        "DiskPressure").status()).as("imagefs measured too").isEqualTo("True");
  }

  @Test
  void anUnreadableImagefsLeavesDiskPressureToNodefs() {
    NodeReport report = report("nodefs.available<0%,imagefs.available<100%", dir, "/nonexistent-outpost-imagefs");
    assertThat(condition(report, "DiskPressure").status()).as("imagefs unknown, nodefs fine").isEqualTo("False");
    assertThat(condition(report("nodefs.available<0%,imagefs.available<100%", dir.resolve("not-yet"),
        dir.resolve("not-there").toString()), "DiskPressure").status())
        .as("nodefs may not exist yet (its parent is measured), imagefs must").isEqualTo("False");
  }

  @Test
  void memoryTasksAndPidLimitsAreReadAsTheKernelWritesThem() throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc/sys/kernel")).getParent().getParent();
    Files.writeString(proc.resolve("meminfo"), """
        MemTotal:        8167056 kB
        MemFree:          512000 kB
        MemAvailable:      90000 kB
        """);
    Files.writeString(proc.resolve("loadavg"), "0.10 0.20 0.30 3/29600 4242\n");
    Files.writeString(proc.resolve("sys/kernel/pid_max"), "4194304\n");
    Files.writeString(proc.resolve("sys/kernel/threads-max"), "32768\n");
    HostMeasurements m = new HostProbe(proc, dir, null).measure();
    assertThat(m.memoryTotal()).isEqualTo(8167056L * 1024);
    assertThat(m.memoryAvailable()).isEqualTo(90000L * 1024);
    assertThat(m.pidsInUse()).isEqualTo(29600);
    assertThat(m.pidMax()).as("the lower of pid_max and threads-max").isEqualTo(32768);
    assertThat(m.imagefsCapacity()).isEqualTo(HostMeasurements.UNKNOWN);
    NodeStatusSettings settings = NodeStatusSettings.from(
        NodeStatusSettings.DEFAULT_EVICTION_HARD + ",pid.available<10%", "", "", 0, dir, "");
    NodeFacts facts = new NodeFacts("edge-1", "1.0.0", 110, new HostProbe(proc, dir, null),
        new NodePressure(settings, Clock.systemUTC()));
    assertThat(facts.allocatable()).as("known before the first heartbeat: the container manager admits with it")
        .containsEntry("memory", (8167056 - 102400) + "Ki").containsEntry("pods", "110");
    NodeReport report = facts.report(true, "ready", null);
    assertThat(facts.allocatable()).isEqualTo(report.allocatable());
    assertThat(report.capacity()).containsEntry("memory", "8167056Ki");
    assertThat(report.allocatable()).containsEntry("memory", (8167056 - 102400) + "Ki");
    assertThat(condition(report, "MemoryPressure").reason()).isEqualTo("KubeletHasInsufficientMemory");
    assertThat(condition(report, "PIDPressure").reason()).isEqualTo("KubeletHasInsufficientPID");
  }

  private static NodeReport.Condition condition(NodeReport report, String type) {
    return report.conditions().stream().filter(c -> c.type().equals(type)).findFirst().orElseThrow();
  }
}
