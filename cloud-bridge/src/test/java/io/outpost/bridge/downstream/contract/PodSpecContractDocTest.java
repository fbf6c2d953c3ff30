package io.outpost.bridge.downstream.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/podspec-contract.md is what the contract renders. After changing the contract, regenerate it with
 * {@code mvn -pl cloud-bridge test -Dtest=PodSpecContractDocTest -Dcontract.write=true} and commit it.
 */
class PodSpecContractDocTest {
  private static final Path DOC = Path.of("..", "docs", "podspec-contract.md");

  @Test
  void theCommittedDocumentIsWhatTheContractGenerates() throws Exception {
    String generated = ContractDoc.render(PodSpecContract.get());
    if (Boolean.getBoolean("contract.write")) {
      Files.writeString(DOC, generated, StandardCharsets.UTF_8);
    }

    assertThat(DOC).as("docs/podspec-contract.md is out of date: run mvn -pl cloud-bridge test"
        + " -Dtest=PodSpecContractDocTest -Dcontract.write=true").exists();
    assertThat(Files.readString(DOC, StandardCharsets.UTF_8)).as("docs/podspec-contract.md is out of date: run mvn"
        + " -pl cloud-bridge test -Dtest=PodSpecContractDocTest -Dcontract.write=true").isEqualTo(generated);
  }

  @Test
  void everyRuleIsARowOfTheDocument() {
    String generated = ContractDoc.render(PodSpecContract.get());
    for (Rule rule : PodSpecContract.get().rules()) {
      assertThat(generated).contains("| `" + rule.path() + "`");
    }
    assertThat(generated).contains("| `spec.containers[].livenessProbe.tcpSocket.host` | REFUSED | set | probing"
        + " another host than the pod");
  }
}
