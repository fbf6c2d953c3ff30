package io.outpost.bridge.rollout;

import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/**
 * The {@code outpost.io/v1alpha1} GatewayRollout resource ({@code deploy/kubernetes/08-rollout-crds.yaml}) as the
 * rollout controller reads it: a generic, cluster-scoped resource, named in full so that no discovery is needed.
 */
public final class GatewayRollouts {
  public static final String GROUP = "outpost.io";
  public static final String VERSION = "v1alpha1";
  public static final String KIND = "GatewayRollout";
  public static final String PLURAL = "gatewayrollouts";
  public static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder().withGroup(GROUP)
      .withVersion(VERSION).withKind(KIND).withPlural(PLURAL).withNamespaced(false).build();

  /** Phases, as {@code kubectl get gwr} shows them. */
  public static final String PENDING = "Pending";
  public static final String CANARY = "Canary";
  public static final String PROGRESSING = "Progressing";
  public static final String PAUSED = "Paused";
  public static final String SUCCEEDED = "Succeeded";
  public static final String FAILED = "Failed";

  private GatewayRollouts() {}

  /** Whether a rollout in {@code phase} is done (it assigns nobody any more, by itself). */
  public static boolean finished(String phase) {
    return SUCCEEDED.equals(phase) || FAILED.equals(phase);
  }
}
