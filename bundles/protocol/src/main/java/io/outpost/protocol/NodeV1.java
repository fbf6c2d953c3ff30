package io.outpost.protocol;

import java.util.List;
import java.util.Map;

/**
 * The part of its own Kubernetes Node object an edge node keeps: labels, taints and whether it is cordoned. Status
 * is not included: the edge is the source of its own status.
 */
public record NodeV1(Map<String, String> labels, List<TaintV1> taints, boolean unschedulable) {

  public record TaintV1(String key, String value, String effect) {}

  void validate() throws ProtocolException {
    if (taints != null) {
      for (TaintV1 taint : taints) {
        Validation.require(taint, "node.taints[]");
        Validation.require(taint.key(), "node.taints[].key");
        Validation.require(taint.effect(), "node.taints[].effect");
      }
    }
  }
}
