package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.SecretV1;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which registry credentials an image gets, as the kubelet's keyring decides. */
class PullSecretsTest {
  private final FakeStore store = new FakeStore();
  private final PullSecrets secrets = new PullSecrets(store);

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private void config(String name, String auths) {
    store.secrets.put("ns/" + name, new SecretV1("kubernetes.io/dockerconfigjson",
        Map.of(".dockerconfigjson", b64("{\"auths\":" + auths + "}"))));
  }

  private String user(String image, String... names) {
    return secrets.find("ns", List.of(names), image).credentials().map(PullSecrets.Credentials::username)
        .orElse(null);
  }

  @Test
  void matchesHostPortAndPathPrefixAndPrefersTheMostSpecificEntry() {
    config("a", "{\"reg.example.com:5000\":{\"username\":\"port\",\"password\":\"p\"},"
        + "\"reg.example.com\":{\"username\":\"host\",\"password\":\"p\"},"
        + "\"https://reg.example.com/team\":{\"username\":\"team\",\"password\":\"p\"},"
        + "\"*.example.org\":{\"username\":\"glob\",\"password\":\"p\"}}");

    assertThat(user("reg.example.com:5000/app:1", "a")).isEqualTo("port");
    assertThat(user("reg.example.com/other/app", "a")).isEqualTo("host");
    assertThat(user("reg.example.com/team/app@sha256:abc", "a")).isEqualTo("team");
    assertThat(user("reg.example.com/teamx/app", "a")).as("a path prefix is whole segments").isEqualTo("host");
    assertThat(user("eu.example.org/app", "a")).isEqualTo("glob");
    assertThat(user("a.eu.example.org/app", "a")).as("* is one label").isNull();
    assertThat(user("reg.example.com:5001/app", "a")).as("another port").isNull();
  }

  @Test
  void dockerHubHasManyNamesAndIsTheDefaultRegistry() {
    config("hub", "{\"https://index.docker.io/v1/\":{\"auth\":\"" + b64("hubuser:secret") + "\"}}");

    assertThat(user("nginx", "hub")).isEqualTo("hubuser");
    assertThat(user("docker.io/library/nginx:1.27", "hub")).isEqualTo("hubuser");
    assertThat(user("myorg/app", "hub")).isEqualTo("hubuser");
    assertThat(user("quay.io/myorg/app", "hub")).isNull();
    PullSecrets.Credentials credentials = secrets.find("ns", List.of("hub"), "nginx").credentials().orElseThrow();
    assertThat(credentials.password()).isEqualTo("secret");
    assertThat(credentials.registry()).isEqualTo("https://index.docker.io/v1/");
    assertThat(credentials.toString()).doesNotContain("secret");
  }

  @Test
  void theLegacyDockercfgFormatIsRead() {
    store.secrets.put("ns/old", new SecretV1("kubernetes.io/dockercfg",
        Map.of(".dockercfg", b64("{\"reg.example.com\":{\"username\":\"old\",\"password\":\"p\"}}"))));

    assertThat(user("reg.example.com/app", "old")).isEqualTo("old");
  }

  @Test
  void missingAndUnreadableSecretsAreNamedAndTheRestStillCount() {
    config("good", "{\"reg.example.com\":{\"username\":\"good\",\"password\":\"p\"}}");
    store.secrets.put("ns/opaque", new SecretV1("Opaque", Map.of("token", b64("x"))));
    store.secrets.put("ns/garbage", new SecretV1("kubernetes.io/dockerconfigjson",
        Map.of(".dockerconfigjson", b64("{not json"))));

    PullSecrets.Lookup lookup = secrets.find("ns", List.of("gone", "opaque", "garbage", "good"),
        "reg.example.com/app");

    assertThat(lookup.credentials()).map(PullSecrets.Credentials::username).contains("good");
    assertThat(lookup.missing()).containsExactly("gone");
    assertThat(lookup.unreadable()).hasSize(2).anySatisfy(u -> assertThat(u).startsWith("opaque ("))
        .anySatisfy(u -> assertThat(u).startsWith("garbage ("));
  }

  @Test
  void theFirstListedSecretWinsAmongEquallySpecificEntries() {
    config("first", "{\"reg.example.com\":{\"username\":\"first\",\"password\":\"p\"}}");
    config("second", "{\"reg.example.com\":{\"username\":\"second\",\"password\":\"p\"}}");

    assertThat(user("reg.example.com/app", "first", "second")).isEqualTo("first");
    assertThat(user("reg.example.com/app", "second", "first")).isEqualTo("second");
    assertThat(user("reg.example.com/app")).isNull();
  }
}
