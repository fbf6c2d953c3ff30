package io.outpost.bridge.config;

import java.time.Duration;
import java.util.Map;

/**
 * The bridge's settings for sites (docs/operations.md, "Sites"; {@code io.outpost.bridge.fleet.sites}), read with the
 * rest of its configuration:
 * <ul>
 *   <li>{@code OUTPOST_NAMESPACE} (default {@code outpost-system}): where the node records live that hold the site a
 *       node's join token named (the same key as the join endpoint's);</li>
 *   <li>{@code OUTPOST_SITE_STATUS_SECONDS} (default 10, 1–300): how often the site summaries are computed; a
 *       {@code Site}'s status is written only when it changed since, its {@code lastContact} at minute granularity;</li>
 *   <li>{@code OUTPOST_SITE_OBJECTS} (default {@code true}): write {@code Site} objects
 *       ({@code deploy/kubernetes/07-site-crds.yaml}); {@code false} for a cluster without the CRD (labels and metrics
 *       stay).</li>
 * </ul>
 */
public record SiteSettings(String namespace, Duration statusInterval, boolean objects) {
  public static final SiteSettings DEFAULTS = new SiteSettings("outpost-system", Duration.ofSeconds(10), true);

  public static SiteSettings from(Map<String, String> env) {
    String namespace = env.getOrDefault("OUTPOST_NAMESPACE", "outpost-system").trim();
    if (!namespace.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw new IllegalArgumentException("OUTPOST_NAMESPACE '" + namespace + "' is not a namespace name");
    }
    String objects = env.getOrDefault("OUTPOST_SITE_OBJECTS", "true").trim();
    if (!objects.equals("true") && !objects.equals("false")) {
      throw new IllegalArgumentException("OUTPOST_SITE_OBJECTS must be true or false, was '" + objects + "'");
    }
    return new SiteSettings(namespace, Duration.ofSeconds(BridgeConfig.integer(env, "OUTPOST_SITE_STATUS_SECONDS", 10,
        1, 300)), objects.equals("true"));
  }
}
