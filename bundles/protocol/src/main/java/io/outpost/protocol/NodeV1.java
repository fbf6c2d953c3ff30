package io.outpost.protocol;

import java.util.List;
import java.util.Map;

/**
 * The part of its own Kubernetes Node object an edge node keeps: labels, taints, whether it is cordoned, and the
 * Outpost artifact a gateway rollout assigned to it ({@code gatewayTarget}, from the Node's annotation
 * {@code outpost.io/gateway-target}; null when none). Status is not included: the edge is the source of its own
 * status.
 */
public record NodeV1(Map<String, String> labels, List<TaintV1> taints, boolean unschedulable,
    GatewayTargetV1 gatewayTarget) {

  /** A Node without a gateway rollout target (as bridges before rollouts send). */
  public NodeV1(Map<String, String> labels, List<TaintV1> taints, boolean unschedulable) {
    this(labels, taints, unschedulable, null);
  }

  public record TaintV1(String key, String value, String effect) {}

  void validate() throws ProtocolException {
    if (taints != null) {
      for (TaintV1 taint : taints) {
        Validation.require(taint, "node.taints[]");
        Validation.require(taint.key(), "node.taints[].key");
        Validation.require(taint.effect(), "node.taints[].effect");
      }
    }
    if (gatewayTarget != null) {
      gatewayTarget.validate();
    }
  }
}
