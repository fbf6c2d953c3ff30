package io.outpost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's credentials as the sync uses them: TLS only with this node's own identity (otherwise the operator's
 * next step), and a renewal that waits for two thirds of the certificate's lifetime (with a real CA and real keys).
 */
class NodeCredentialsTest {
  @TempDir Path dir;

  @Test
  void withoutAnIdentityTheNextStepIsToJoin() {
    NodeCredentials credentials = NodeCredentials.of(new NodeCredentials.Enrollment("edge-1", dir.resolve("id"),
        "", "", ""), Clock.systemUTC());
    assertThatThrownBy(credentials::tls).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("node edge-1 has no identity yet").hasMessageContaining("outpost:join");
    assertThat(credentials.renewIfDue()).as("nothing to renew").isFalse();
  }

  @Test
  void anotherNodesIdentityIsRefusedAndOnlyADueCertificateIsRenewed() throws Exception {
    CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir.resolve("ca"));
    KeyPair keys = Pki.newKeyPair();
    NodeIdentity identity = NodeIdentity.verified("edge-1", keys.getPrivate(), keys.getPublic(),
        ca.signNode(Pki.csr(keys, "edge-1"), "edge-1", Duration.ofDays(30)), ca.certificate());
    identity.save(dir.resolve("id"));

    NodeCredentials other = NodeCredentials.of(new NodeCredentials.Enrollment("edge-2", dir.resolve("id"), "", "",
        ""), Clock.systemUTC());
    assertThatThrownBy(other::tls).hasMessageContaining("is for node 'edge-1', this node is 'edge-2'");

    NodeCredentials own = NodeCredentials.of(new NodeCredentials.Enrollment("edge-1", dir.resolve("id"), "", "",
        ""), Clock.systemUTC());
    assertThat(own.tls().getProtocol()).startsWith("TLS");
    byte[] before = Files.readAllBytes(dir.resolve("id").resolve(NodeIdentity.FILE));
    assertThat(own.renewIfDue()).as("not due for 20 days").isFalse();

    // Past two thirds of its lifetime, with no join endpoint to reach: the renewal fails, is logged, and the
    // identity stays as it was (the node keeps connecting with it until it expires).
    Clock late = Clock.fixed(identity.renewAt().plusSeconds(1), ZoneOffset.UTC);
    Files.writeString(dir.resolve("id").resolve(NodeCredentials.BRIDGE_URL_FILE), "https://127.0.0.1:1");
    NodeCredentials due = NodeCredentials.of(new NodeCredentials.Enrollment("edge-1", dir.resolve("id"), "", "",
        ""), late);
    assertThat(due.renewIfDue()).isFalse();
    assertThat(Files.readAllBytes(dir.resolve("id").resolve(NodeIdentity.FILE))).isEqualTo(before);
  }
}
