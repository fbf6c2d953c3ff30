package io.outpost.bridge.kube;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.outpost.protocol.Codec;
import io.outpost.protocol.GatewayTargetV1;
import io.outpost.protocol.ProtocolException;
import io.outpost.protocol.RolloutReport;
import java.util.Map;
import java.util.Optional;

/**
 * The two Node annotations through which a gateway rollout reaches a node and hears back, so that both sides are
 * level-based and survive a bridge restart or fail-over:
 *
 * <ul>
 *   <li>{@value #TARGET}: the artifact the rollout controller assigned to the node — the signed manifest, the rollout
 *       and where the bridge fetches the bytes ({@link Target}, JSON). The downstream translation sends it to the node
 *       inside its Node ({@link GatewayTargetV1}, without the source); the artifact server serves only that artifact
 *       to that node.</li>
 *   <li>{@value #STATUS}: the node's newest {@link RolloutReport} (JSON as on the wire), written by the bridge when it
 *       changes; the controller reads progress from it.</li>
 * </ul>
 */
public final class GatewayAnnotations {
  public static final String TARGET = "outpost.io/gateway-target";
  public static final String STATUS = "outpost.io/gateway-status";
  private static final ObjectMapper JSON = JsonMapper.builder()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
      .serializationInclusion(JsonInclude.Include.NON_NULL).build();
  private static final Codec CODEC = new Codec(16 * 1024);

  private GatewayAnnotations() {}

  /**
   * What the controller assigns to a node.
   *
   * @param source where the bridge fetches the artifact's bytes: an {@code https://} or {@code http://} URL, or
   *     {@code file:} inside the bridge's artifact directory
   */
  public record Target(String rollout, String type, String name, String version, long size, String sha256,
      String keyId, String signature, String source) {

    /** What the node receives: the signed manifest and the rollout, never the source. */
    public GatewayTargetV1 toEdge() {
      return new GatewayTargetV1(rollout, type, name, version, size, sha256, keyId, signature);
    }
  }

  /** The annotation's value for {@code target}. */
  public static String format(Target target) {
    try {
      return JSON.writeValueAsString(target);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a gateway target", e);
    }
  }

  /** The node's assigned target; empty if none. Throws {@link IllegalArgumentException} if it is malformed. */
  public static Optional<Target> target(HasMetadata node) {
    String text = annotation(node, TARGET);
    if (text == null) {
      return Optional.empty();
    }
    Target target;
    try {
      target = JSON.readValue(text, Target.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(TARGET + " of " + node.getMetadata().getName() + " is not a gateway target: "
          + e.getOriginalMessage());
    }
    try {
      // The same checks the node makes on what it receives: refused here, not there.
      target.toEdge().validate();
    } catch (ProtocolException e) {
      throw new IllegalArgumentException(TARGET + " of " + node.getMetadata().getName() + ": " + e.getMessage());
    }
    if (target.source() == null || target.source().isBlank()) {
      throw new IllegalArgumentException(TARGET + " of " + node.getMetadata().getName() + " names no source");
    }
    return Optional.of(target);
  }

  /** The node's target, or empty if it has none or a malformed one. */
  public static Optional<Target> targetOrEmpty(HasMetadata node) {
    try {
      return target(node);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The annotation's value for a node's report. */
  public static String format(RolloutReport report) {
    return new String(CODEC.encode(report), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The node's newest report as the bridge recorded it; empty if none or unreadable. */
  public static Optional<RolloutReport> status(HasMetadata node) {
    String text = annotation(node, STATUS);
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(CODEC.decode(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), RolloutReport.class));
    } catch (ProtocolException e) {
      return Optional.empty();
    }
  }

  private static String annotation(HasMetadata object, String key) {
    Map<String, String> annotations = object.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }
}
