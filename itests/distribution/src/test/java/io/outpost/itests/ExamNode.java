package io.outpost.itests;

import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.karaf.options.LogLevelOption;

/**
 * The built distribution as the Pax Exam tests start it: unpacked from the local repository, its own SSH and
 * metrics ports, a plain broker address where no broker listens (allowed explicitly, so the node tries it and
 * reports it down) and an engine socket that does not exist — each test adds what it needs.
 */
final class ExamNode {
  private ExamNode() {}

  static Option[] options(String nodeName, Option... extra) {
    String repo = System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository");
    List<Option> options = new ArrayList<>(List.of(
        karafDistributionConfiguration()
            .frameworkUrl(maven("io.outpost", "outpost-karaf", System.getProperty("outpost.version")).type("tar.gz"))
            .unpackDirectory(new File("target/exam"))
            .useDeployFolder(false),
        configureConsole().ignoreLocalConsole().ignoreRemoteShell(),
        logLevel(LogLevelOption.LogLevel.WARN),
        editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", repo),
        editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(freePort())),
        editConfigurationFilePut("etc/io.outpost.node.cfg", "node.name", nodeName),
        editConfigurationFilePut("etc/io.outpost.node.cfg", "metrics.port", Integer.toString(freePort())),
        editConfigurationFilePut("etc/io.outpost.node.cfg", "broker.url", "tcp://127.0.0.1:" + freePort()),
        editConfigurationFilePut("etc/io.outpost.node.cfg", "insecure.plaintext", "true"),
        editConfigurationFilePut("etc/io.outpost.node.cfg", "engine.host",
            "unix://" + new File("target/exam/no-engine.sock").getAbsolutePath())));
    options.addAll(Arrays.asList(extra));
    return options.toArray(Option[]::new);
  }

  /** A port free now on loopback. */
  static int freePort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
