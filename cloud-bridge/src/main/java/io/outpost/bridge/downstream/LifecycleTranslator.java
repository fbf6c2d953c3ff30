package io.outpost.bridge.downstream;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.ProbeV1;

/**
 * Translates a container's {@code lifecycle}: postStart and preStop hooks (exec, httpGet with named ports resolved
 * as for probes, sleep) and the stop signal. A handler the node cannot run travels as {@code unsupported} with the
 * reason, and the hook fails as it would on a kubelet ({@code tcpSocket}, which the API keeps only for
 * compatibility; a port the container does not have).
 */
final class LifecycleTranslator {
  /** {@code lifecycle.stopSignal} (Kubernetes 1.33+): not in the bridge's model, read from its extra fields. */
  static final String STOP_SIGNAL = "stopSignal";

  private LifecycleTranslator() {}

  /** The hooks and stop signal, or null if the container has none. */
  static PodV1.LifecycleV1 lifecycle(Container c) {
    Lifecycle lifecycle = c.getLifecycle();
    if (lifecycle == null) {
      return null;
    }
    Object signal = lifecycle.getAdditionalProperties() == null ? null
        : lifecycle.getAdditionalProperties().get(STOP_SIGNAL);
    String stopSignal = signal instanceof String s && !s.isEmpty() ? s : null;
    PodV1.HandlerV1 postStart = handler(c, lifecycle.getPostStart());
    PodV1.HandlerV1 preStop = handler(c, lifecycle.getPreStop());
    return postStart == null && preStop == null && stopSignal == null ? null
        : new PodV1.LifecycleV1(postStart, preStop, stopSignal);
  }

  private static PodV1.HandlerV1 handler(Container c, LifecycleHandler h) {
    if (h == null) {
      return null;
    }
    if (h.getExec() != null) {
      return h.getExec().getCommand() == null || h.getExec().getCommand().isEmpty()
          ? unsupported("exec has no command") : new PodV1.HandlerV1(h.getExec().getCommand(), null, null, null);
    }
    if (h.getHttpGet() != null) {
      ProbeV1.HttpGetV1 get = ProbeTranslator.httpGet(c, h.getHttpGet());
      return get != null ? new PodV1.HandlerV1(null, get, null, null)
          : unsupported("httpGet port " + ProbeTranslator.portText(h.getHttpGet().getPort())
              + " is not a port of the container");
    }
    if (h.getSleep() != null) {
      Long seconds = h.getSleep().getSeconds();
      return seconds == null || seconds < 0 ? unsupported("sleep needs a non-negative number of seconds")
          : new PodV1.HandlerV1(null, null, seconds, null);
    }
    if (h.getTcpSocket() != null) {
      return unsupported("tcpSocket is not a lifecycle handler a kubelet runs");
    }
    return unsupported("the hook has no handler");
  }

  private static PodV1.HandlerV1 unsupported(String why) {
    return new PodV1.HandlerV1(null, null, null, why);
  }
}
