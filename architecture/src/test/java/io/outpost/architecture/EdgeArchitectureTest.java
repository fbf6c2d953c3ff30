package io.outpost.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.outpost.architecture.fixture.ReachesIntoTheStore;
import io.outpost.store.impl.XodusEdgeStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The edge bundles' dependency rules (docs/architecture.md, "Rules that keep this picture true"), checked on the
 * compiled main classes of every bundle under {@code bundles/}.
 */
class EdgeArchitectureTest {

  /** The edge bundles by symbolic name (bnd.bnd): a bundle added to bundles/ must be added here and to the pom. */
  private static final Set<String> BUNDLES = Set.of("io.outpost.protocol", "io.outpost.metrics",
      "io.outpost.identity", "io.outpost.store", "io.outpost.sync", "io.outpost.containers", "io.outpost.console",
      "io.outpost.devices", "io.outpost.devices.modbus", "io.outpost.devices.mqtt",
      "io.outpost.devices.kura.telemetry", "io.outpost.network", "io.outpost.rollout");

  private static JavaClasses edge;
  private static final EdgeBundles bundles = new EdgeBundles();

  @BeforeAll
  static void importEdgeBundles() {
    edge = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.outpost");
    assertThat(edge.stream().map(type -> bundles.of(type).map(EdgeBundles.Bundle::symbolicName).orElse(
            "no bundle: " + type.getName())).collect(Collectors.toSet()))
        .as("every imported Outpost class lies in one of the edge bundles, and every edge bundle was imported")
        .containsExactlyInAnyOrderElementsOf(BUNDLES);
  }

  @Test
  void everyBundleUnderBundlesIsChecked() throws IOException {
    // Surefire runs in this module's directory; the bundles are its siblings' bnd.bnd files.
    Set<String> declared;
    try (Stream<Path> dirs = Files.list(Path.of("..", "bundles"))) {
      declared = dirs.map(dir -> dir.resolve("bnd.bnd")).filter(Files::exists)
          .map(EdgeArchitectureTest::symbolicName).collect(Collectors.toSet());
    }
    assertThat(declared).as("bundles/*/bnd.bnd: add a new bundle to BUNDLES and to architecture/pom.xml")
        .containsExactlyInAnyOrderElementsOf(BUNDLES);
  }

  private static String symbolicName(Path bnd) {
    try {
      return Files.readAllLines(bnd).stream().filter(line -> line.startsWith("Bundle-SymbolicName:"))
          .map(line -> line.substring("Bundle-SymbolicName:".length()).split(";")[0].trim()).findFirst()
          .orElseThrow(() -> new IllegalStateException(bnd + " names no Bundle-SymbolicName"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void noPackageCycles() {
    slices().matching("io.outpost.(**)").namingSlices("package io.outpost.$1").should().beFreeOfCycles()
        .because("a package cycle hides which part owns what and cannot be split into bundles")
        .check(edge);
  }

  @Test
  void aBundleUsesAnotherBundleOnlyThroughItsExportedPackages() {
    classes().should(useOtherBundlesOnlyThroughTheirExports())
        .because("a bundle's private packages (impl, commands, drivers) are its own; OSGi would refuse the import")
        .check(edge);
  }

  @Test
  void theExportRuleCatchesAClassReachingIntoAPrivatePackage() {
    JavaClasses fixture = new ClassFileImporter().importClasses(ReachesIntoTheStore.class, XodusEdgeStore.class);
    EvaluationResult result = classes().should(useOtherBundlesOnlyThroughTheirExports()).evaluate(fixture);
    assertThat(result.getFailureReport().getDetails())
        .anySatisfy(line -> assertThat(line).contains(ReachesIntoTheStore.class.getName())
            .contains("package io.outpost.store.impl is private to io.outpost.store"));
  }

  @Test
  void protocolDependsOnNothingOfOutpost() {
    noClasses().that().resideInAPackage("io.outpost.protocol..")
        .should().dependOnClassesThat(resideInAPackage("io.outpost..").and(not(resideInAPackage("io.outpost.protocol.."))))
        .because("the wire format is the bottom of the edge and the bridge's only view of it")
        .check(edge);
  }

  @Test
  void noEdgeBundleDependsOnTheBridgeOrTheBuildHelpers() {
    noClasses().should().dependOnClassesThat(resideInAnyPackage("io.outpost.bridge..", "io.outpost.broker..",
            "io.outpost.quickstart..", "io.outpost.testing..", "io.outpost.bench.."))
        .because("edge and cloud meet only in the protocol; test launchers and benchmarks are not shipped")
        .check(edge);
  }

  private static ArchCondition<JavaClass> useOtherBundlesOnlyThroughTheirExports() {
    return new ArchCondition<>("use other bundles only through their exported packages") {
      @Override
      public void check(JavaClass origin, ConditionEvents events) {
        Optional<EdgeBundles.Bundle> own = bundles.of(origin);
        for (Dependency dependency : origin.getDirectDependenciesFromSelf()) {
          JavaClass target = dependency.getTargetClass().getBaseComponentType();
          if (!target.getPackageName().startsWith("io.outpost.")) {
            continue;
          }
          Optional<EdgeBundles.Bundle> theirs = bundles.of(target);
          if (theirs.isEmpty()) {
            events.add(SimpleConditionEvent.violated(dependency,
                dependency.getDescription() + " — the target is in no edge bundle"));
          } else if (!theirs.equals(own) && !theirs.get().exports(target.getPackageName())) {
            events.add(SimpleConditionEvent.violated(dependency, dependency.getDescription() + " — package "
                + target.getPackageName() + " is private to " + theirs.get().symbolicName()));
          }
        }
      }
    };
  }
}
