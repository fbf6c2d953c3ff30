package io.outpost.bridge.rollout;

import io.outpost.bridge.kube.GatewayAnnotations.Target;
import io.outpost.protocol.ProtocolException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GatewayRollout's spec, parsed and validated once: the signed artifact (as {@code outpost-rollout.jar sign} prints
 * it, plus where the bridge fetches its bytes) as the target every selected node is assigned, the target nodes (by
 * site and/or name; neither: every edge node), the canary count, the most nodes updating at once and whether it is
 * paused. Anything the controller could not act on is an {@link Invalid} naming the field.
 *
 * @param artifact what a node is assigned (its {@code rollout} is the GatewayRollout's name)
 * @param sites site names (the site label's values); empty with {@code nodes} empty: every edge node
 * @param nodes node names
 * @param canary nodes updated first; the rest only once every canary is updated
 * @param maxUnavailable the most nodes updating at once: a count, or a percent of the targets ({@link #slots})
 * @param percent whether {@code maxUnavailable} is a percent
 */
public record RolloutSpec(Target artifact, List<String> sites, List<String> nodes, int canary, int maxUnavailable,
    boolean percent, boolean paused) {

  private static final Pattern PERCENT = Pattern.compile("([0-9]{1,3})%");
  private static final Pattern COUNT = Pattern.compile("[0-9]{1,9}");
  /** One file in the {@code sources} folder of the bridge's artifact directory (the store reads nothing else). */
  private static final Pattern FILE = Pattern.compile("file:[A-Za-z0-9_][A-Za-z0-9._-]*");
  private static final Set<String> ARTIFACT_FIELDS = Set.of("type", "name", "version", "size", "sha256", "keyId",
      "signature", "source");

  /** A spec the controller cannot act on; {@code reason} is a metric label, the message names the field. */
  public static final class Invalid extends Exception {
    private final String reason;

    Invalid(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  /** The most nodes updating at once among {@code targets}: a percent rounds down, and is at least 1. */
  public int slots(int targets) {
    return percent ? Math.max(1, (int) ((long) targets * maxUnavailable / 100)) : maxUnavailable;
  }

  /** Whether the node is a target: named, or in a named site, or — when neither is named — any edge node. */
  public boolean selects(String node, String site) {
    if (sites.isEmpty() && nodes.isEmpty()) {
      return true;
    }
    return nodes.contains(node) || (site != null && sites.contains(site));
  }

  /** The spec of the GatewayRollout {@code rollout}, from its {@code spec} as the API server stores it. */
  public static RolloutSpec parse(String rollout, Object spec) throws Invalid {
    if (!(spec instanceof Map<?, ?> fields)) {
      throw new Invalid("missing_spec", "spec is required");
    }
    Target artifact = artifact(rollout, fields.get("artifact"));
    List<String> sites = List.of();
    List<String> nodes = List.of();
    Object target = fields.get("target");
    if (target != null) {
      if (!(target instanceof Map<?, ?> targets)) {
        throw new Invalid("invalid_target", "spec.target must be an object");
      }
      sites = names(targets.get("sites"), "spec.target.sites");
      nodes = names(targets.get("nodes"), "spec.target.nodes");
    }
    int canary = 1;
    int maxUnavailable = 1;
    boolean percent = false;
    Object strategy = fields.get("strategy");
    if (strategy != null) {
      if (!(strategy instanceof Map<?, ?> settings)) {
        throw new Invalid("invalid_strategy", "spec.strategy must be an object");
      }
      Object canaries = settings.get("canary");
      if (canaries != null) {
        if (!(canaries instanceof Number number) || number.longValue() != number.doubleValue()
            || number.longValue() < 0 || number.longValue() > 100_000) {
          throw new Invalid("invalid_strategy", "spec.strategy.canary must be a whole number from 0, was "
              + clip(canaries));
        }
        canary = number.intValue();
      }
      Object most = settings.get("maxUnavailable");
      if (most != null) {
        String text = most instanceof Number number && number.longValue() == number.doubleValue()
            ? Long.toString(number.longValue()) : most.toString().trim();
        Matcher percentage = PERCENT.matcher(text);
        if (percentage.matches() && Integer.parseInt(percentage.group(1)) >= 1
            && Integer.parseInt(percentage.group(1)) <= 100) {
          percent = true;
          maxUnavailable = Integer.parseInt(percentage.group(1));
        } else if (COUNT.matcher(text).matches() && Integer.parseInt(text) >= 1) {
          maxUnavailable = Integer.parseInt(text);
        } else {
          throw new Invalid("invalid_strategy", "spec.strategy.maxUnavailable must be a count from 1 or a percent"
              + " from 1% to 100%, was " + clip(most));
        }
      }
    }
    Object paused = fields.get("paused");
    if (paused != null && !(paused instanceof Boolean)) {
      throw new Invalid("invalid_spec", "spec.paused must be true or false, was " + clip(paused));
    }
    return new RolloutSpec(artifact, sites, nodes, canary, maxUnavailable, percent, Boolean.TRUE.equals(paused));
  }

  private static Target artifact(String rollout, Object value) throws Invalid {
    if (!(value instanceof Map<?, ?> fields)) {
      throw new Invalid("invalid_artifact", "spec.artifact is required: the signed manifest as `outpost-rollout.jar"
          + " sign` prints it, and its source");
    }
    for (Object key : fields.keySet()) {
      if (!ARTIFACT_FIELDS.contains(String.valueOf(key))) {
        throw new Invalid("invalid_artifact", "spec.artifact." + clip(key) + " is not a manifest field");
      }
    }
    Object size = fields.get("size");
    if (!(size instanceof Number number) || number.longValue() != number.doubleValue()) {
      throw new Invalid("invalid_artifact", "spec.artifact.size must be a whole number of bytes, was " + clip(size));
    }
    String source = text(fields.get("source"));
    if (source == null || source.isBlank()) {
      throw new Invalid("missing_source", "spec.artifact.source is required: an https:// or http:// URL, or"
          + " file:<name> in the bridge's artifact directory");
    }
    if (!validSource(source)) {
      throw new Invalid("invalid_source", "spec.artifact.source must be an https:// or http:// URL, or file:<name>"
          + " in the sources folder of the bridge's artifact directory (no '/'), was " + clip(source));
    }
    Target target = new Target(rollout, text(fields.get("type")), text(fields.get("name")),
        text(fields.get("version")), number.longValue(), text(fields.get("sha256")), text(fields.get("keyId")),
        text(fields.get("signature")), source);
    try {
      target.toEdge().validate(); // the node's own checks on what it receives
    } catch (ProtocolException e) {
      throw new Invalid("invalid_artifact", "spec.artifact: " + e.getMessage().replace("gatewayTarget.rollout",
          "the GatewayRollout's name").replace("gatewayTarget.", ""));
    }
    if (!"bundle".equals(text(fields.get("type")))) {
      throw new Invalid("unsupported_type", "spec.artifact.type " + clip(fields.get("type")) + " is not installed by"
          + " this release: nodes install bundle artifacts only");
    }
    return target;
  }

  private static boolean validSource(String source) {
    if (source.startsWith("file:")) {
      return FILE.matcher(source).matches();
    }
    try {
      java.net.URI uri = new java.net.URI(source);
      return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  private static List<String> names(Object value, String field) throws Invalid {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new Invalid("invalid_target", field + " must be a list of names");
    }
    List<String> names = new ArrayList<>();
    for (Object item : list) {
      if (!(item instanceof String name) || name.isBlank() || name.length() > 253) {
        throw new Invalid("invalid_target", field + " must hold names, not " + clip(item));
      }
      names.add(name);
    }
    return List.copyOf(names);
  }

  /** A string field; null otherwise (a version written 1.10 unquoted would be the number 1.1: not signed). */
  private static String text(Object value) {
    return value instanceof String text ? text : null;
  }

  private static String clip(Object value) {
    String text = String.valueOf(value);
    return "'" + (text.length() > 80 ? text.substring(0, 80) + "…" : text) + "'";
  }
}
