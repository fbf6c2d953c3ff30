package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.EventReport;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodStatusReport;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.SecretV1;
import io.outpost.testing.Podman;
import io.outpost.testing.Registry;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pulls with {@code imagePullSecrets} from a real registry that requires basic auth: the engine gets the matching
 * credentials, and wrong, missing or no credentials become ErrImagePull/ImagePullBackOff with the engine's message.
 */
class PullSecretsPodmanTest extends PodmanFixture {
  private static final String USER = "edge-puller";
  private static final String PASSWORD = "pw-" + UUID.randomUUID();
  private static final List<String> PULL_FAILED = List.of("ErrImagePull", "ImagePullBackOff");
  private static Registry registry;
  private static String image;

  /** Hides {@link PodmanFixture#startPodman()}: this Podman service must know the registry first. */
  @BeforeAll
  static void startPodman() {
    registry = Registry.start(dir.resolve("registry"), USER, PASSWORD);
    image = registry.push(Podman.TEST_IMAGE, "private/busybox:1", USER, PASSWORD);
    podman = Podman.start(dir.resolve("podman"), registry.podmanEnvironment());
  }

  @AfterAll
  static void stopPodman() {
    podman.close();
    registry.close();
  }

  @AfterEach
  void removePulledImage() {
    if (!Podman.cli("images", "-q", image).isBlank()) {
      Podman.cli("rmi", "--force", image);
    }
  }

  private static SecretV1 dockerConfig(String registryKey, String user, String password) {
    String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    String json = "{\"auths\":{\"" + registryKey + "\":{\"auth\":\"" + auth + "\"}}}";
    return new SecretV1("kubernetes.io/dockerconfigjson", Map.of(".dockerconfigjson",
        Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8))));
  }

  private ObjectRef pod(String name, List<String> pullSecrets) {
    ObjectRef ref = new ObjectRef("Pod", "default", name, UUID.randomUUID().toString(), "1");
    store.put(ref, new PodV1(node, "Always", 1L, null, null,
        List.of(new ContainerV1("app", image, "IfNotPresent", List.of("sleep", "3600"), null, null, null)), null,
        null, pullSecrets));
    return ref;
  }

  @Test
  void aPodWithAMatchingPullSecretPullsThePrivateImageAndRuns() {
    store.secrets.put("default/other-registry", dockerConfig("registry.example.com", "someone", "else"));
    store.secrets.put("default/regcred", dockerConfig("http://" + registry.address() + "/private", USER, PASSWORD));
    ObjectRef ref = pod("private", List.of("other-registry", "regcred"));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> "Running".equals(s.phase()));

    assertThat(status.containers()).singleElement().satisfies(c -> assertThat(c.image()).isEqualTo(image));
    assertThat(Podman.cli("images", "-q", image)).isNotBlank();
    assertThat(store.events).extracting(EventReport::reason).contains("Pulling", "Pulled", "Started")
        .doesNotContain("FailedToRetrieveImagePullSecret");
    // image_manager.go (1.32), on the container: Pulling "Pulling image %q"; Pulled "Successfully pulled image %q
    // in %v (%v including waiting)" (the kubelet also gives the image size).
    assertThat(store.events).filteredOn(e -> e.reason().equals("Pulling")).first().satisfies(e -> {
      assertThat(e.message()).isEqualTo("Pulling image \"" + image + "\"");
      assertThat(e.fieldPath()).isEqualTo("spec.containers{app}");
    });
    assertThat(store.events).filteredOn(e -> e.reason().equals("Pulled")).first().satisfies(e -> {
      assertThat(e.message()).matches("Successfully pulled image \"" + java.util.regex.Pattern.quote(image)
          + "\" in ([0-9.]+(ms|s)|[0-9]+m[0-9.]+s) \\(\\S+ including waiting\\)");
      assertThat(e.fieldPath()).isEqualTo("spec.containers{app}");
    });
  }

  @Test
  void withoutCredentialsTheRegistrysRefusalIsTheContainersStatus() {
    ObjectRef ref = pod("anonymous", null);

    PodStatusReport status = reconcileUntil(ref.uid(), s -> !s.containers().isEmpty()
        && PULL_FAILED.contains(s.containers().get(0).state().reason()));

    assertThat(status.containers().get(0).state().message()).contains("authentication required");
    assertThat(Podman.appContainersOf(ref.uid())).isEmpty();
    // image_manager.go: Warning Failed "Failed to pull image %q: %v"; kuberuntime: Warning Failed "Error: %v".
    assertThat(store.events).filteredOn(e -> e.reason().equals("Failed")).extracting(EventReport::message)
        .anySatisfy(m -> assertThat(m).startsWith("Failed to pull image \"" + image + "\": "))
        .contains("Error: ErrImagePull");
    assertThat(store.events).filteredOn(e -> e.reason().equals("Failed"))
        .allSatisfy(e -> assertThat(e.fieldPath()).isEqualTo("spec.containers{app}"));
  }

  @Test
  void aWrongPasswordFailsThePull() {
    store.secrets.put("default/wrong", dockerConfig(registry.address(), USER, "not-the-password"));
    ObjectRef ref = pod("wrong-password", List.of("wrong"));

    PodStatusReport status = reconcileUntil(ref.uid(), s -> !s.containers().isEmpty()
        && PULL_FAILED.contains(s.containers().get(0).state().reason()));

    assertThat(status.containers().get(0).state().message()).containsIgnoringCase("unauthorized");
    assertThat(Podman.cli("images", "-q", image)).isBlank();
  }

  @Test
  void aMissingPullSecretIsAnEventAndThePullIsStillTried() {
    ObjectRef ref = pod("missing-secret", List.of("not-there"));

    reconcileUntil(ref.uid(), s -> !s.containers().isEmpty()
        && PULL_FAILED.contains(s.containers().get(0).state().reason()));

    assertThat(store.events).filteredOn(e -> e.reason().equals("FailedToRetrieveImagePullSecret"))
        .first().satisfies(e -> assertThat(e.message()).contains("not-there"));
    assertThat(store.events).extracting(EventReport::reason).contains("Pulling");
  }
}
