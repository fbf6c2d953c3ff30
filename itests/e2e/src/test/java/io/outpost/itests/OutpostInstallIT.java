package io.outpost.itests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.testing.EdgeNode;
import io.outpost.testing.ManagedProcess;
import io.outpost.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/outpost-install} from the built distribution, staged under a root directory (as a package build would;
 * no systemd here): a fresh install lays out the program, the data directory and the systemd units; an upgrade from
 * that layout replaces the program and Karaf's bundle cache but keeps the operator's configuration, the node's
 * data (store, identity) and the IoT profile of a node that runs the device module.
 */
class OutpostInstallIT {
  private Path dir;

  @AfterEach
  void clean() {
    if (dir != null) {
      Trees.deleteTree(dir);
    }
  }

  private static String install(Path distribution, Path root, String... more) {
    List<String> command = new java.util.ArrayList<>(List.of("sh", distribution.resolve("bin/outpost-install")
        .toString(), "--root", root.toString()));
    command.addAll(List.of(more));
    return ManagedProcess.run(command, Map.of());
  }

  @Test
  void installsAsAServiceAndUpgradesKeepingConfigurationDataAndProfile() throws Exception {
    dir = Files.createTempDirectory("outpost-install-");
    Path root = dir.resolve("root");
    Path v1 = dir.resolve("v1");
    EdgeNode.install(v1, "site-7-node-1", "ssl://mqtt.example.com:8883", "unix:///run/podman/podman.sock");

    assertThat(install(v1, root)).contains("install done");
    Path prefix = root.resolve("opt/outpost");
    Path data = root.resolve("var/lib/outpost");
    assertThat(prefix.resolve("bin/karaf")).isRegularFile();
    assertThat(prefix.resolve("etc/io.outpost.node.cfg")).content().contains("node.name = site-7-node-1");
    assertThat(Files.getPosixFilePermissions(data)).isEqualTo(PosixFilePermissions.fromString("rwxr-x---"));
    String unit = Files.readString(root.resolve("etc/systemd/system/outpost.service"));
    assertThat(unit).contains("User=outpost", "Environment=KARAF_DATA=/var/lib/outpost",
        "ExecStart=/opt/outpost/bin/karaf server", "Restart=always", "WantedBy=multi-user.target",
        "KillMode=mixed", "Environment=KARAF_EXEC=exec", "NoNewPrivileges=true",
        "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE").doesNotContain("UMask");
    // Configuration holds secrets (a join token, broker passwords): not readable by other users.
    assertThat(Files.getPosixFilePermissions(prefix.resolve("etc"))).isEqualTo(
        PosixFilePermissions.fromString("rwxr-x---"));
    try (java.util.stream.Stream<Path> files = Files.list(prefix.resolve("etc"))) {
      assertThat(files.filter(Files::isRegularFile)).allSatisfy(file -> assertThat(Files.getPosixFilePermissions(
          file)).doesNotContain(java.nio.file.attribute.PosixFilePermission.OTHERS_READ));
    }
    assertThat(root.resolve("etc/systemd/system/podman.socket.d/outpost.conf")).content()
        .contains("SocketGroup=outpost", "SocketMode=0660");

    // The node ran: the operator edited its configuration, it joined (identity), stored state, and the device
    // module was installed from the console (Karaf's state in its bundle cache).
    Files.writeString(prefix.resolve("etc/io.outpost.node.cfg"), "\nevents.max = 4242\n",
        java.nio.file.StandardOpenOption.APPEND);
    Files.createDirectories(data.resolve("outpost/identity"));
    Files.writeString(data.resolve("outpost/identity/node.pem"), "node identity");
    Files.createDirectories(data.resolve("outpost/store"));
    Files.writeString(data.resolve("outpost/store/00000000000.xd"), "store");
    Files.createDirectories(data.resolve("cache/bundle12/data"));
    Files.writeString(data.resolve("cache/bundle12/data/FeaturesServiceState.json"),
        "{\"installedFeatures\":[\"outpost-devices/0.1.0.SNAPSHOT\"]}");
    Files.createDirectories(data.resolve("log"));
    Files.writeString(data.resolve("log/karaf.log"), "old log");
    Files.writeString(prefix.resolve("deploy/site-driver.jar"), "the operator's bundle");

    // The next version (here: the same build, marked) is installed over it.
    Path v2 = dir.resolve("v2");
    EdgeNode.install(v2, "ignored-name", "tcp://127.0.0.1:1", "unix:///nowhere");
    Files.writeString(v2.resolve("lib/NEW-VERSION"), "2");
    Files.writeString(prefix.resolve("lib/OLD-ONLY"), "1");
    assertThat(install(v2, root)).contains("upgrade done");

    assertThat(prefix.resolve("lib/NEW-VERSION")).exists();
    assertThat(prefix.resolve("lib/OLD-ONLY")).doesNotExist();
    assertThat(prefix.resolve("etc/io.outpost.node.cfg")).content()
        .contains("node.name = site-7-node-1", "events.max = 4242").doesNotContain("ignored-name");
    assertThat(prefix.resolve("etc/org.apache.karaf.features.cfg")).content()
        .containsPattern("featuresBoot *= *outpost-devices, ");
    assertThat(data.resolve("outpost/identity/node.pem")).content().isEqualTo("node identity");
    assertThat(data.resolve("outpost/store/00000000000.xd")).exists();
    assertThat(data.resolve("log/karaf.log")).exists();
    assertThat(data.resolve("cache")).as("Karaf's cache of the old bundles").doesNotExist();
    assertThat(Files.list(prefix).map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".upgrade"));
    assertThat(prefix.resolve("deploy/site-driver.jar")).as("the operator's files in deploy/").exists();
    assertThat(prefix.resolve("etc/io.outpost.node.cfg.dist")).as("the new version's file, for comparison")
        .content().contains("ignored-name");

    // An upgrade cut off (power loss) between moving the old etc/ and lib/ aside and putting the new ones in place:
    // running it again finishes it, with the operator's configuration.
    Files.move(prefix.resolve("etc"), prefix.resolve("etc.old"));
    Files.move(prefix.resolve("lib"), prefix.resolve("lib.old"));
    assertThat(install(v2, root)).contains("upgrade done");
    assertThat(prefix.resolve("etc/io.outpost.node.cfg")).content()
        .contains("node.name = site-7-node-1", "events.max = 4242");
    assertThat(prefix.resolve("lib/NEW-VERSION")).exists();
    assertThat(prefix.resolve("etc.old")).doesNotExist();

    // The node was installed with these options; another data directory would be a node without its identity and
    // store, which would remove its pods.
    assertThatThrownBy(() -> install(v2, root, "--data", "/srv/elsewhere"))
        .hasMessageContaining("runs with --data /var/lib/outpost");
    assertThatThrownBy(() -> install(v2, dir.resolve("other-root"), "--data", "/var"))
        .hasMessageContaining("refusing to install into /var");

    assertThatThrownBy(() -> install(v2, root, "--prefix", "relative/path"))
        .hasMessageContaining("must be absolute");
  }

  /**
   * A node installed by the first installer (2026-12-02, kept in the test resources) is upgraded by this one: its
   * configuration, identity and store stay, and it gets what the installer does now (the JVM as the main process,
   * configuration readable by the node only).
   */
  @Test
  void upgradesANodeInstalledByThePreviousInstaller() throws Exception {
    dir = Files.createTempDirectory("outpost-install-previous-");
    Path root = dir.resolve("root");
    Path v1 = dir.resolve("v1");
    EdgeNode.install(v1, "site-7-node-3", "ssl://mqtt.example.com:8883", "unix:///run/podman/podman.sock");
    Path previousInstaller = v1.resolve("bin/outpost-install");
    try (java.io.InputStream old = getClass().getResourceAsStream("/previous/outpost-install")) {
      Files.copy(old, previousInstaller, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    assertThat(install(v1, root)).contains("install done");
    Path prefix = root.resolve("opt/outpost");
    Path data = root.resolve("var/lib/outpost");
    assertThat(root.resolve("etc/systemd/system/outpost.service")).content().doesNotContain("KARAF_EXEC");
    Files.createDirectories(data.resolve("outpost/identity"));
    Files.writeString(data.resolve("outpost/identity/node.pem"), "node identity");

    Path v2 = dir.resolve("v2");
    EdgeNode.install(v2, "ignored-name", "tcp://127.0.0.1:1", "unix:///nowhere");
    assertThat(install(v2, root)).contains("upgrade done");
    assertThat(prefix.resolve("etc/io.outpost.node.cfg")).content().contains("node.name = site-7-node-3",
        "ssl://mqtt.example.com:8883");
    assertThat(data.resolve("outpost/identity/node.pem")).content().isEqualTo("node identity");
    assertThat(root.resolve("etc/systemd/system/outpost.service")).content().contains("Environment=KARAF_EXEC=exec",
        "Environment=KARAF_DATA=/var/lib/outpost");
    assertThat(Files.getPosixFilePermissions(prefix.resolve("etc/io.outpost.node.cfg")))
        .doesNotContain(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
  }

  /**
   * The service as systemd would run it: the unit's environment and command, from the installed program, with the
   * data directory outside it; killed like a power cut, started again, it opens the same store.
   */
  @Test
  void theServiceRunsTheNodeFromItsDataDirectoryAndComesBackAfterAKill() throws Exception {
    dir = Files.createTempDirectory("outpost-service-");
    Path v1 = dir.resolve("v1");
    EdgeNode.install(v1, "site-7-node-2", "tcp://127.0.0.1:" + io.outpost.testing.Ports.free(),
        "unix://" + dir.resolve("no-engine.sock"));
    Path prefix = dir.resolve("opt/outpost");
    Path data = dir.resolve("var/lib/outpost");
    // As systemd runs it: as its own user, which owns its configuration and data but not the program.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    installService(v1, dir, "nobody");
    ServiceUnit service = ServiceUnit.read(dir.resolve("units/outpost.service"));
    Map<String, String> env = service.environment();
    String group = ManagedProcess.run(List.of("id", "-gn", "nobody"), Map.of()).strip();
    assertThat(Files.readString(dir.resolve("units/outpost.service"))).contains("User=nobody", "Group=" + group);
    List<String> command = new java.util.ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=" + group,
        "--clear-groups"));
    command.addAll(service.command());
    assertThat(env).containsEntry("KARAF_DATA", data.toString());

    Path log = data.resolve("log/karaf.log");
    for (int run = 1; run <= 2; run++) {
      Files.createDirectories(dir.resolve("console"));
      ManagedProcess node = ManagedProcess.start("outpost-service", command, env, data,
          dir.resolve("console/run-" + run + ".log"));
      try {
        int expected = run;
        org.awaitility.Awaitility.await("store open under the data directory, run " + run)
            .atMost(java.time.Duration.ofMinutes(2)).ignoreExceptions().until(() ->
                Files.readAllLines(log).stream().filter(line -> line.contains("Edge store open at "
                    + data.resolve("outpost/store"))).count() == expected);
        assertThat(prefix.resolve("data")).as("nothing written into the program's directory").doesNotExist();
      } finally {
        node.kill(); // a power cut: no shutdown hooks
      }
    }
  }

  /** The environment and command of a systemd unit, to run it as systemd would (no systemd on build machines). */
  record ServiceUnit(Map<String, String> environment, List<String> command) {
    static ServiceUnit read(Path file) throws java.io.IOException {
      List<String> unit = Files.readAllLines(file);
      Map<String, String> env = new java.util.LinkedHashMap<>();
      unit.stream().filter(line -> line.startsWith("Environment=")).map(line -> line.substring(12).split("=", 2))
          .forEach(pair -> env.put(pair[0], pair[1]));
      return new ServiceUnit(env, List.of(unit.stream().filter(line -> line.startsWith("ExecStart=")).findFirst()
          .orElseThrow().substring(10).split(" ")));
    }
  }

  /** Installs the distribution at {@code distribution} as a service under {@code dir}, not started. */
  static String installService(Path distribution, Path dir) {
    return installService(distribution, dir, "root");
  }

  /** As {@link #installService(Path, Path)}, for the service to run as {@code user}. */
  static String installService(Path distribution, Path dir, String user) {
    return ManagedProcess.run(List.of("sh", distribution.resolve("bin/outpost-install").toString(), "--prefix",
        dir.resolve("opt/outpost").toString(), "--data", dir.resolve("var/lib/outpost").toString(), "--user", user,
        "--unit-dir", dir.resolve("units").toString(), "--no-start"), Map.of());
  }
}
