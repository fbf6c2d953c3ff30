package io.outpost.bridge.join;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.outpost.identity.CertificateAuthority;
import io.outpost.identity.Pki;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator commands, as `java -jar outpost-cloud-bridge-*-all.jar <command>` runs them. */
@EnableKubernetesMockClient(crud = true)
class JoinCliTest {
  static KubernetesClient client;
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private Run run(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = JoinCli.run(List.of(args), Map.of("OUTPOST_CA_DIR", dir.resolve("ca").toString(),
        "OUTPOST_NAMESPACE", "cli-" + dir.getFileName()), client,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void createsListsAndRevokesTokensAndPrintsTheNodesCommand() throws Exception {
    Run created = run("token", "create", "edge-5", "--ttl", "30m", "--bridge", "https://bridge.example:9443");
    String fingerprint = CertificateAuthority.loadOrCreate(dir.resolve("ca")).fingerprint();

    assertThat(created.code()).isZero();
    assertThat(created.out()).containsPattern("token: [a-z0-9]{8}\\.[a-z0-9]{32}")
        .contains("outpost:join https://bridge.example:9443 ").contains(fingerprint);
    assertThat(run("ca", "fingerprint").out().trim()).isEqualTo(fingerprint);
    Run listed = run("token", "list");
    assertThat(listed.out()).contains("edge-5").contains("unused");
    String id = listed.out().trim().split("\\s+")[0];
    assertThat(run("token", "revoke", id).code()).isZero();
    assertThat(run("token", "list").out()).doesNotContain("edge-5");
    assertThat(run("token", "revoke", id).code()).isEqualTo(1);
  }

  @Test
  void aTokenMayNameTheNodesSiteAndRegion() throws Exception {
    Run created = run("token", "create", "edge-8", "--site", "site-17", "--region", "north");
    assertThat(created.code()).isZero();
    assertThat(created.out()).contains("site: site-17 (region north)");
    assertThat(run("token", "list").out()).contains("edge-8").contains("site site-17/north");
    var secret = client.secrets().inNamespace("cli-" + dir.getFileName()).withLabel(JoinTokens.LABEL, "true").list()
        .getItems().stream().filter(s -> s.getMetadata().getLabels().get("outpost.io/node").equals("edge-8"))
        .findFirst().orElseThrow();
    assertThat(new String(java.util.Base64.getDecoder().decode(secret.getData().get("site")),
        StandardCharsets.UTF_8)).isEqualTo("site-17");

    assertThat(run("token", "create", "edge-9", "--site", "site 17").err()).contains("site 'site 17'")
        .contains("label value");
    assertThat(run("token", "create", "edge-9", "--region", "north").err()).contains("with a site only");
  }

  @Test
  void writesTheCrlAndABrokerCertificateAndRefusesBadInput() throws Exception {
    assertThat(run("node", "revoke", "edge-6").code()).isZero();
    assertThat(run("crl", dir.resolve("crl.pem").toString()).code()).isZero();
    assertThat(Files.readString(dir.resolve("crl.pem"))).startsWith("-----BEGIN X509 CRL-----");
    assertThat(run("issue-server", dir.resolve("broker").toString(), "broker.example,10.0.0.1").code()).isZero();
    var certificate = Pki.certificates(Files.readString(dir.resolve("broker/server.crt"))).get(0);
    List<String> names = certificate.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1)))
        .toList();
    assertThat(names).containsExactly("broker.example", "10.0.0.1");
    assertThat(Files.getPosixFilePermissions(dir.resolve("broker/server.key")))
        .hasSize(2); // owner read and write only

    assertThat(run("token", "create", "Not_A_Name").code()).isEqualTo(2);
    assertThat(run("token", "create", "outpost-bridge").code()).isEqualTo(2);
    assertThat(run("token", "create", "edge-7", "--ttl", "200h").err()).contains("between");
    assertThat(run("token", "create", "edge-7", "--ttl", "soon").code()).isEqualTo(2);
    assertThat(run("frobnicate").err()).contains("usage");
  }
}
