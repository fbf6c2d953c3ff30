package io.outpost.bridge.downstream.contract;

/** What an edge node does with a PodSpec field. */
public enum Verdict {
  /** The node does what a kubelet does with it (possibly up to a documented bound, beyond which it is refused). */
  HONOURED,
  /** A pod that sets it (or sets it to the values named) is not started: the reason shows in kubectl describe. */
  REFUSED,
  /** The control plane's business (scheduler, admission, API server), not a node's; accepted as it is. */
  NOT_APPLICABLE
}
