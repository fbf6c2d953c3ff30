package io.outpost.store.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.ServiceAccountTokensV1;
import io.outpost.protocol.ServiceAccountTokensV1.TokenV1;
import io.outpost.store.ApplyResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pod's bound ServiceAccount tokens are kept like Secrets: sealed in the store's files, there after a restart
 * (a node restarted while cut off still mounts them), replaced by each refresh and gone with a delete.
 */
class ServiceAccountTokensAtRestTest {
  private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3VuZCJ9.c2lnbmF0dXJlLW9uZQ";
  private static final String REFRESHED = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3VuZCJ9.c2lnbmF0dXJlLXR3bw";
  @TempDir Path dir;

  private static ObjectRef ref(String rv) {
    return new ObjectRef("ServiceAccountToken", "shop", "web-0", "pod-1", rv);
  }

  private static ServiceAccountTokensV1 tokens(String token) {
    return new ServiceAccountTokensV1("pod-1", List.of(new TokenV1("kube-api-access-abcde", "token", token,
        1_900_000_000L)));
  }

  @Test
  void sealedOnDiskReadBackAfterAReopenReplacedByARefreshAndRemovedWithThePod() throws Exception {
    Path storeDir = dir.resolve("store");
    Path key = dir.resolve("identity/store.key");
    try (XodusEdgeStore store = new XodusEdgeStore(storeDir, 100, key)) {
      store.apply(Changes.begin(1, 0));
      assertThat(store.apply(Changes.put(1, 1, ref("tA"), tokens(TOKEN))).outcome())
          .isEqualTo(ApplyResult.Outcome.APPLIED);
      store.apply(Changes.end(1, 2));
    }
    assertThat(filesContain(storeDir, TOKEN)).as("token in the store files").isFalse();

    try (XodusEdgeStore reopened = new XodusEdgeStore(storeDir, 100, key)) {
      assertThat(reopened.serviceAccountTokens("shop", "web-0")).get()
          .satisfies(t -> assertThat(t.token("kube-api-access-abcde", "token").token()).isEqualTo(TOKEN));
      assertThat(reopened.held()).extracting(ObjectRef::key).containsExactly("ServiceAccountToken/shop/web-0");
      // A refresh is a new content version (resourceVersions of tokens are content digests, compared for equality).
      assertThat(reopened.apply(Changes.put(1, 3, ref("tB"), tokens(REFRESHED))).outcome())
          .isEqualTo(ApplyResult.Outcome.APPLIED);
      assertThat(reopened.serviceAccountTokens("shop", "web-0").orElseThrow().tokens().get(0).token())
          .isEqualTo(REFRESHED);
      assertThat(reopened.apply(Changes.remove(1, 4, ref("tB"))).outcome()).isEqualTo(ApplyResult.Outcome.APPLIED);
      assertThat(reopened.serviceAccountTokens("shop", "web-0")).isEmpty();
    }
  }

  private static boolean filesContain(Path directory, String text) throws IOException {
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(text)) {
          return true;
        }
      }
    }
    return false;
  }
}
