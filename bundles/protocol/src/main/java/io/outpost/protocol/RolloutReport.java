package io.outpost.protocol;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Set;

/**
 * Where the node is with its gateway target, on {@code up/rollout}: sent when the state changes, as the transfer
 * progresses, and again after every reconnect (a node that finished or rolled back while cut off reports it when it
 * returns). Only the newest report of a node matters.
 *
 * @param node the sender (must equal the node in the topic)
 * @param sentAt when the report was made (RFC 3339)
 * @param rollout the rollout of the target the report is about; null with state {@code idle}
 * @param name the artifact's name
 * @param version the artifact's version
 * @param sha256 the artifact's SHA-256 (which target the report is about)
 * @param state {@code transferring}, {@code installing}, {@code installed}, {@code unchanged} (that version ran
 *     already), {@code rolled_back} (its health gate failed, the previous revision runs again), {@code refused}
 *     (nothing changed: signature, digest, or an artifact this node does not install), {@code failed} (the rollback
 *     failed too), or {@code idle} (no target)
 * @param reason why, for refused, rolled_back and failed; at most 1,024 characters
 * @param received chunks stored so far (transferring)
 * @param chunks chunks in all (transferring)
 */
public record RolloutReport(int v, String node, String sentAt, String rollout, String name, String version,
    String sha256, String state, String reason, int received, int chunks) implements Message {
  public static final Set<String> STATES = Set.of("transferring", "installing", "installed", "unchanged",
      "rolled_back", "refused", "failed", "idle");
  /** The states after which the node does nothing more for that target. */
  public static final Set<String> FINAL = Set.of("installed", "unchanged", "rolled_back", "refused", "failed");

  public boolean isFinal() {
    return FINAL.contains(state);
  }

  /** Whether the target runs on the node now. */
  public boolean succeeded() {
    return "installed".equals(state) || "unchanged".equals(state);
  }

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(sentAt, "sentAt");
    try {
      Instant.parse(sentAt);
    } catch (DateTimeParseException e) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "sentAt is not an RFC 3339 time: '"
          + Validation.clip(sentAt) + "'");
    }
    Validation.require(state, "state");
    Validation.requireOneOf(state, STATES, "state");
    if (!"idle".equals(state)) {
      Validation.require(rollout, "rollout");
      Validation.require(sha256, "sha256");
      if (!GatewayTargetV1.SHA256.matcher(sha256).matches()) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "sha256 must be 64 lower-case hex digits");
      }
    }
    Validation.requireMaxLength(rollout, 253, "rollout");
    Validation.requireMaxLength(name, 128, "name");
    Validation.requireMaxLength(version, 64, "version");
    Validation.requireMaxLength(reason, 1024, "reason");
    if (received < 0 || chunks < 0 || received > chunks) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "received " + received + " of " + chunks
          + " chunks is not a count");
    }
  }
}
