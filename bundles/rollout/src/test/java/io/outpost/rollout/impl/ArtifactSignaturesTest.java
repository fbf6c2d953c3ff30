package io.outpost.rollout.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.outpost.rollout.ArtifactManifest;
import io.outpost.rollout.ArtifactSignatures;
import io.outpost.rollout.ArtifactSignatures.Refused;
import org.junit.jupiter.api.Test;

/** Signed manifests: verified with the trusted key they name; anything changed, unknown or malformed is refused. */
class ArtifactSignaturesTest {
  private static final String DIGEST = "ab".repeat(32);
  private final String[] ops = ArtifactSignatures.newKeyPair();
  private final String[] other = ArtifactSignatures.newKeyPair();
  private final ArtifactSignatures node = ArtifactSignatures.trusting("ops-2026=" + ops[0] + ", spare=" + other[0]);

  private ArtifactManifest signed() {
    return ArtifactSignatures.sign(ArtifactManifest.unsigned(ArtifactManifest.BUNDLE, "io.outpost.sync", "0.2.0",
        123_456, DIGEST, "ops-2026"), ops[1]);
  }

  private static String reason(ArtifactSignatures node, ArtifactManifest manifest) {
    try {
      node.verify(manifest);
      return "accepted";
    } catch (Refused e) {
      return e.reason();
    }
  }

  @Test
  void aManifestSignedWithATrustedKeyVerifies() throws Exception {
    node.verify(signed());
    assertThat(node.keyIds()).containsExactlyInAnyOrder("ops-2026", "spare");
  }

  @Test
  void everySignedFieldIsCovered() {
    ArtifactManifest good = signed();
    String sig = good.signature();
    assertThat(reason(node, new ArtifactManifest(good.type(), good.name(), good.version(), good.size(),
        "cd".repeat(32), good.keyId(), sig))).as("digest").isEqualTo("bad_signature");
    assertThat(reason(node, new ArtifactManifest(good.type(), "io.outpost.store", good.version(), good.size(),
        good.sha256(), good.keyId(), sig))).as("name").isEqualTo("bad_signature");
    assertThat(reason(node, new ArtifactManifest(good.type(), good.name(), "0.1.9", good.size(), good.sha256(),
        good.keyId(), sig))).as("version").isEqualTo("bad_signature");
    assertThat(reason(node, new ArtifactManifest(ArtifactManifest.FEATURE, good.name(), good.version(), good.size(),
        good.sha256(), good.keyId(), sig))).as("type").isEqualTo("bad_signature");
    assertThat(reason(node, new ArtifactManifest(good.type(), good.name(), good.version(), good.size() + 1,
        good.sha256(), good.keyId(), sig))).as("size").isEqualTo("bad_signature");
    assertThat(reason(node, new ArtifactManifest(good.type(), good.name(), good.version(), good.size(),
        good.sha256(), "spare", sig))).as("signed by another key than it names").isEqualTo("bad_signature");
  }

  @Test
  void unknownKeysUnsignedAndMalformedManifestsAreRefusedWithTheirReason() {
    ArtifactManifest byStranger = ArtifactSignatures.sign(ArtifactManifest.unsigned(ArtifactManifest.BUNDLE,
        "io.outpost.sync", "0.2.0", 10, DIGEST, "stranger"), ArtifactSignatures.newKeyPair()[1]);
    assertThat(reason(node, byStranger)).isEqualTo("untrusted_key");
    assertThat(reason(node, signed().withSignature(null))).isEqualTo("malformed");
    assertThat(reason(node, signed().withSignature("not base64!"))).isEqualTo("malformed");
    assertThat(reason(node, new ArtifactManifest("script", "x", "1", 1, DIGEST, "ops-2026", "AAAA")))
        .isEqualTo("malformed");
    assertThat(reason(node, new ArtifactManifest(ArtifactManifest.BUNDLE, "x\nkeyId", "1", 1, DIGEST, "ops-2026",
        "AAAA"))).as("no line break can shift the signed fields").isEqualTo("malformed");
    assertThat(reason(node, new ArtifactManifest(ArtifactManifest.BUNDLE, "x", "1", ArtifactManifest.MAX_SIZE + 1,
        DIGEST, "ops-2026", "AAAA"))).isEqualTo("malformed");
    assertThat(reason(ArtifactSignatures.trusting(""), signed())).as("a node trusting no key installs nothing")
        .isEqualTo("untrusted_key");
  }

  @Test
  void aBadTrustConfigurationIsAClearError() {
    assertThatThrownBy(() -> ArtifactSignatures.trusting("ops=" + ops[0].substring(5)))
        .hasMessageContaining("not a base64 X.509 Ed25519 public key");
    assertThatThrownBy(() -> ArtifactSignatures.trusting("Ops!=" + ops[0])).hasMessageContaining("key id invalid");
    assertThatThrownBy(() -> ArtifactSignatures.trusting(ops[0])).hasMessageContaining("id=base64");
    assertThatThrownBy(() -> ArtifactSignatures.trusting("a=" + ops[0] + " a=" + other[0]))
        .hasMessageContaining("given twice");
    assertThatThrownBy(() -> ArtifactSignatures.sign(signed(), "AAAA")).hasMessageContaining("PKCS#8");
  }
}
