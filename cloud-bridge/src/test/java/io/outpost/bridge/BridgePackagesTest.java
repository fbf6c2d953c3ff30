package io.outpost.bridge;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bridge's package rules (docs/architecture.md, "Rules that keep this picture true"): no package cycle, the
 * dependency directions between the packages, and the bridge depends on nothing of Outpost but the wire format,
 * identity and (from its launcher only) the embedded broker. Checked on the compiled main classes.
 */
class BridgePackagesTest {
  private static final String[] PACKAGES = {"io.outpost.bridge", "io.outpost.bridge.admission",
      "io.outpost.bridge.config", "io.outpost.bridge.downstream", "io.outpost.bridge.downstream.contract",
      "io.outpost.bridge.fleet", "io.outpost.bridge.flow", "io.outpost.bridge.ha",
      "io.outpost.bridge.join", "io.outpost.bridge.kube", "io.outpost.bridge.kubelet", "io.outpost.bridge.metrics",
      "io.outpost.bridge.mqtt", "io.outpost.bridge.net", "io.outpost.bridge.site", "io.outpost.bridge.upstream",
      "io.outpost.bridge.fleet.sites", "io.outpost.bridge.artifacts", "io.outpost.bridge.rollout"};

  private static JavaClasses bridge;

  @BeforeAll
  static void importBridge() {
    bridge = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.outpost.bridge");
    assertThat(bridge.stream().map(c -> c.getPackageName()).distinct())
        .as("the bridge's main packages were imported, and no package that the rules below do not name")
        .containsExactlyInAnyOrder(PACKAGES);
  }

  @Test
  void noPackageCycle() {
    slices().matching("io.outpost.(**)").namingSlices("package io.outpost.$1").should().beFreeOfCycles()
        .because("a package cycle hides which part owns what")
        .check(bridge);
  }

  /**
   * The directions of docs/architecture.md: the root package wires everything and nothing depends on it; the parts
   * (downstream, upstream, kubelet, admission, ha, join) do not depend on each other, except that admission uses what
   * the downstream translation leaves out; the PodSpec contract is the downstream translation's alone; they build on the Kubernetes caches and the MQTT link; configuration,
   * metrics, per-node queues and network values are at the bottom, used by all.
   */
  @Test
  void dependenciesPointFromTheWiringThroughThePartsToTheShared() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("wiring").definedBy("io.outpost.bridge")
        .layer("downstream").definedBy("io.outpost.bridge.downstream")
        .layer("contract").definedBy("io.outpost.bridge.downstream.contract")
        .layer("upstream").definedBy("io.outpost.bridge.upstream")
        .layer("kubelet").definedBy("io.outpost.bridge.kubelet")
        .layer("admission").definedBy("io.outpost.bridge.admission")
        .layer("ha").definedBy("io.outpost.bridge.ha")
        .layer("fleet").definedBy("io.outpost.bridge.fleet")
        .layer("join").definedBy("io.outpost.bridge.join")
        .layer("kube").definedBy("io.outpost.bridge.kube")
        .layer("mqtt").definedBy("io.outpost.bridge.mqtt")
        .layer("metrics").definedBy("io.outpost.bridge.metrics")
        .layer("config").definedBy("io.outpost.bridge.config")
        .layer("flow").definedBy("io.outpost.bridge.flow")
        .layer("net").definedBy("io.outpost.bridge.net")
        .layer("site").definedBy("io.outpost.bridge.site")
        .layer("sites").definedBy("io.outpost.bridge.fleet.sites")
        .layer("artifacts").definedBy("io.outpost.bridge.artifacts")
        .layer("rollout").definedBy("io.outpost.bridge.rollout")
        .whereLayer("wiring").mayNotBeAccessedByAnyLayer()
        .whereLayer("downstream").mayOnlyBeAccessedByLayers("wiring", "admission")
        .whereLayer("contract").mayOnlyBeAccessedByLayers("downstream")
        .whereLayer("upstream").mayOnlyBeAccessedByLayers("wiring")
        .whereLayer("kubelet").mayOnlyBeAccessedByLayers("wiring")
        .whereLayer("admission").mayOnlyBeAccessedByLayers("wiring")
        .whereLayer("ha").mayOnlyBeAccessedByLayers("wiring")
        .whereLayer("fleet").mayOnlyBeAccessedByLayers("wiring")
        .whereLayer("join").mayOnlyBeAccessedByLayers("wiring", "sites")
        .whereLayer("kube").mayOnlyBeAccessedByLayers("wiring", "downstream", "upstream", "admission", "site",
            "fleet", "sites", "artifacts", "rollout")
        .whereLayer("mqtt").mayOnlyBeAccessedByLayers("wiring", "downstream", "kubelet", "artifacts")
        .whereLayer("metrics").mayOnlyBeAccessedByLayers("wiring", "downstream", "upstream", "kubelet", "admission",
            "join", "mqtt", "site", "fleet", "sites", "artifacts", "rollout")
        .whereLayer("config").mayOnlyBeAccessedByLayers("wiring", "downstream", "upstream", "kubelet", "admission",
            "ha", "join", "kube", "mqtt", "site", "sites", "artifacts", "rollout")
        .whereLayer("flow").mayOnlyBeAccessedByLayers("wiring", "downstream", "upstream", "kubelet", "admission",
            "join", "fleet", "artifacts", "rollout")
        .whereLayer("net").mayOnlyBeAccessedByLayers("wiring", "downstream", "upstream", "kubelet", "admission",
            "join", "metrics", "config", "site")
        .whereLayer("site").mayOnlyBeAccessedByLayers("wiring", "downstream", "upstream")
        .whereLayer("sites").mayOnlyBeAccessedByLayers("wiring")
        .whereLayer("artifacts").mayOnlyBeAccessedByLayers("wiring")
        .whereLayer("rollout").mayOnlyBeAccessedByLayers("wiring")
        .because("each part of the bridge can be read, tested and changed without the parts beside it; only the"
            + " wiring (Bridge, BridgeMain) knows them all")
        .check(bridge);
  }

  @Test
  void bridgeDependsOnlyOnTheWireFormatAndIdentityOfOutpost() {
    noClasses().that().resideInAPackage("io.outpost.bridge..")
        .should().dependOnClassesThat(resideInAPackage("io.outpost..").and(not(resideInAnyPackage(
            "io.outpost.bridge..", "io.outpost.protocol..", "io.outpost.identity..", "io.outpost.broker.."))))
        .because("the bridge speaks to edge nodes only through the protocol; the quickstart and the edge bundles'"
            + " internals depend on it, never the other way round")
        .check(bridge);
  }

  @Test
  void onlyTheLauncherEmbedsTheBroker() {
    noClasses().that().resideInAPackage("io.outpost.bridge..").and().resideOutsideOfPackage("io.outpost.bridge")
        .should().dependOnClassesThat().resideInAPackage("io.outpost.broker..")
        .because("the embedded broker is optional: only the launcher (BridgeMain) starts it, and the bridge's parts"
            + " work with any MQTT 5 broker")
        .check(bridge);
  }
}
