package io.outpost.bridge.downstream.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The contract classifies every field of fabric8's PodSpec model, and nothing that is not in it: a field a newer
 * fabric8 (a newer Kubernetes) adds fails this test until it is classified, and so does a rule whose field is gone.
 */
class PodSpecContractTest {
  private final PodSpecContract contract = PodSpecContract.get();
  private final Set<String> model = ModelPaths.of("spec", PodSpec.class);

  @Test
  void everyFieldOfTheModelIsClassified() {
    List<String> unclassified = model.stream().filter(path -> contract.covering(path) == null).toList();

    assertThat(unclassified).as("PodSpec fields the contract does not classify (add a rule in"
        + " io.outpost.bridge.downstream.contract: honoured, refused with the reason, or not applicable)").isEmpty();
    assertThat(model).as("the walk reaches deep fields").contains("spec.containers[].lifecycle.preStop.sleep.seconds",
        "spec.ephemeralContainers[].targetContainerName", "spec.volumes[].projected.sources[].serviceAccountToken"
            + ".audience", "spec.initContainers[].startupProbe.httpGet.httpHeaders[].value").hasSizeGreaterThan(900);
  }

  @Test
  void everyRuleNamesAFieldOfTheModel() {
    List<String> stale = contract.rules().stream().filter(rule -> !rule.newerThanModel())
        .map(Rule::path).filter(path -> !model.contains(path)).toList();
    List<String> staleAliases = contract.aliases().entrySet().stream()
        .filter(a -> !model.contains(a.getKey()) || !model.contains(a.getValue())).map(Object::toString).toList();

    assertThat(stale).as("rules for fields the model no longer has").isEmpty();
    assertThat(staleAliases).isEmpty();
  }

  @Test
  void fieldsNewerThanTheModelAreReadFromExtraFieldsUntilTheModelHasThem() {
    List<Rule> newer = contract.rules().stream().filter(Rule::newerThanModel).toList();

    assertThat(newer).extracting(Rule::path).containsExactly("spec.containers[].lifecycle.stopSignal");
    assertThat(newer).extracting(Rule::path).as("now in the model: read it from its getter and drop the flag")
        .noneMatch(model::contains);
  }

  @Test
  void everyRefusalIsCheckedByTheBridgeOrJudgedByTheNodeAndSaysWhy() {
    for (Rule rule : contract.rules()) {
      assertThat(rule.reason()).as(rule.path()).isNotBlank();
      if (rule.verdict() == Verdict.REFUSED) {
        assertThat(rule.checked() || rule.delegatedTo() != null).as(rule.path() + " is refused by someone").isTrue();
      }
      if (rule.verdict() == Verdict.NOT_APPLICABLE) {
        assertThat(rule.check()).as(rule.path() + ": not applicable is never refused").isNull();
      }
      if (rule.refusedWhen() != null) {
        assertThat(rule.checked() || rule.delegatedTo() != null)
            .as(rule.path() + " says when it is refused, so someone checks it").isTrue();
      }
    }
  }

  @Test
  void aliasedPathsFollowTheirOriginalUnlessARuleNamesThem() {
    assertThat(contract.rule("spec.initContainers[].lifecycle.preStop.httpGet.host"))
        .isSameAs(contract.rule("spec.containers[].lifecycle.postStart.httpGet.host"));
    assertThat(contract.rule("spec.ephemeralContainers[].startupProbe.grpc").verdict()).isEqualTo(Verdict.HONOURED);
    assertThat(contract.rule("spec.ephemeralContainers[].startupProbe.tcpSocket.host").verdict())
        .isEqualTo(Verdict.REFUSED);
    assertThat(contract.rule("spec.initContainers[].restartPolicy").verdict()).isEqualTo(Verdict.HONOURED);
    assertThat(contract.rule("spec.containers[].restartPolicy").verdict()).isEqualTo(Verdict.NOT_APPLICABLE);
    assertThat(contract.covering("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[]"
        + ".weight")).isSameAs(contract.rule("spec.affinity"));
    assertThat(contract.covering("spec.containers[].lifecycle.postStart.unknown")).isNull();
  }
}
