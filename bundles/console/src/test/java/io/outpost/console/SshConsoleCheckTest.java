package io.outpost.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Apache MINA SSHD server, as Karaf's ssh feature runs it, on a free port and on a port already taken. */
class SshConsoleCheckTest {
  @TempDir Path dir;

  private SshServer server(int port) {
    SshServer server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(port);
    server.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(dir.resolve("host.key")));
    return server;
  }

  @Test
  void aConsoleThatCouldNotBindItsPortIsReportedWithAddressAndPort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      SshServer server = server(taken.getLocalPort());
      try {
        assertThatThrownBy(server::start).hasMessageContaining("ddress already in use"); // as Karaf's Activator sees it
        SshConsoleCheck check = new SshConsoleCheck(server);
        check.check();
        assertThat(check.listening()).isFalse();
        assertThat(check.metrics()).containsEntry(SshConsoleCheck.METRIC, 0.0);
        assertThat(check.describe()).startsWith("NOT listening: 127.0.0.1:" + taken.getLocalPort())
            .contains("etc/org.apache.karaf.shell.cfg");
      } finally {
        server.stop(true);
      }
    }
  }

  @Test
  void aListeningConsoleIsReportedAsSuch() throws Exception {
    SshServer server = server(0);
    server.start();
    try {
      SshConsoleCheck check = new SshConsoleCheck(server);
      check.check();
      assertThat(check.listening()).isTrue();
      assertThat(check.metrics()).containsEntry(SshConsoleCheck.METRIC, 1.0);
      assertThat(check.describe()).startsWith("listening on ").contains("127.0.0.1");
    } finally {
      server.stop(true);
    }
  }

  @Test
  void withoutAnSshServerNothingIsClaimed() {
    SshConsoleCheck check = new SshConsoleCheck(null);
    assertThat(check.listening()).isFalse();
    assertThat(check.metrics()).isEmpty();
    assertThat(check.describe()).contains("no SSH server");
  }
}
