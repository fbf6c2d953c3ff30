package io.outpost.protocol;

import java.util.List;

/**
 * A container probe as Kubernetes defines it, with exactly one handler: {@code exec} (a command run in the
 * container), {@code httpGet} (a GET to the pod IP; 200–399 is success) or {@code tcpSocket} (a connection). Named
 * ports are resolved to numbers by the bridge; a probe it cannot express (gRPC, an unknown port name) travels as
 * {@code unsupported} with the reason and always fails on the edge, as it would on a kubelet that cannot run it.
 * Timing fields as in Kubernetes; absent means Kubernetes' default.
 */
public record ProbeV1(List<String> exec, HttpGetV1 httpGet, Integer tcpPort, String unsupported,
    Integer initialDelaySeconds, Integer periodSeconds, Integer timeoutSeconds, Integer successThreshold,
    Integer failureThreshold, GrpcV1 grpc, Long terminationGracePeriodSeconds) {

  /** A probe as bridges before gRPC probes and probe-level grace periods send it. */
  public ProbeV1(List<String> exec, HttpGetV1 httpGet, Integer tcpPort, String unsupported,
      Integer initialDelaySeconds, Integer periodSeconds, Integer timeoutSeconds, Integer successThreshold,
      Integer failureThreshold) {
    this(exec, httpGet, tcpPort, unsupported, initialDelaySeconds, periodSeconds, timeoutSeconds, successThreshold,
        failureThreshold, null, null);
  }

  /**
   * An HTTP GET: {@code host} absent means the pod IP; {@code httpHeaders} sent with the request (a {@code Host}
   * header among them overrides the host name sent).
   */
  public record HttpGetV1(String path, int port, String scheme, String host, List<HttpHeaderV1> httpHeaders) {
    public HttpGetV1(String path, int port, String scheme) {
      this(path, port, scheme, null, null);
    }

    /** The headers to send; empty if none. */
    public List<HttpHeaderV1> headers() {
      return httpHeaders == null ? List.of() : httpHeaders;
    }
  }

  public record HttpHeaderV1(String name, String value) {}

  /** A gRPC health check (grpc.health.v1.Health/Check) on {@code port}; {@code service} absent means "". */
  public record GrpcV1(int port, String service) {}

  /** A container's probes; each optional. */
  public record ProbesV1(ProbeV1 liveness, ProbeV1 readiness, ProbeV1 startup) {}

  public int initialDelay() {
    return initialDelaySeconds == null ? 0 : initialDelaySeconds;
  }

  public int period() {
    return periodSeconds == null ? 10 : periodSeconds;
  }

  public int timeout() {
    return timeoutSeconds == null ? 1 : timeoutSeconds;
  }

  public int successes() {
    return successThreshold == null ? 1 : successThreshold;
  }

  public int failures() {
    return failureThreshold == null ? 3 : failureThreshold;
  }

  void validate(String what) throws ProtocolException {
    int handlers = (exec != null ? 1 : 0) + (httpGet != null ? 1 : 0) + (tcpPort != null ? 1 : 0)
        + (grpc != null ? 1 : 0) + (unsupported != null ? 1 : 0);
    if (handlers != 1) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, what + " needs exactly one of exec, httpGet,"
          + " tcpPort and grpc, has " + handlers);
    }
    if (httpGet != null) {
      for (HttpHeaderV1 header : httpGet.headers()) {
        Validation.require(header, what + ".httpGet.httpHeaders[]");
        Validation.require(header.name(), what + ".httpGet.httpHeaders[].name");
        if (header.name().chars().anyMatch(c -> c <= ' ' || c == ':' || c > '~')
            || (header.value() != null && header.value().chars().anyMatch(c -> c == '\r' || c == '\n'))) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, what + ".httpGet.httpHeaders[] '"
              + header.name() + "' is not a valid header");
        }
      }
    }
    if (terminationGracePeriodSeconds != null && terminationGracePeriodSeconds < 1) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, what
          + ".terminationGracePeriodSeconds must be positive");
    }
    if (exec != null && exec.isEmpty()) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, what + ".exec is empty");
    }
    int port = httpGet != null ? httpGet.port() : tcpPort != null ? tcpPort : grpc != null ? grpc.port() : 1;
    if (port < 1 || port > 65535) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, what + " port must be 1..65535, was " + port);
    }
    if (httpGet != null && httpGet.scheme() != null && !List.of("HTTP", "HTTPS").contains(httpGet.scheme())) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, what + ".httpGet.scheme must be HTTP or HTTPS");
    }
    if (initialDelay() < 0 || period() < 1 || timeout() < 1 || successes() < 1 || failures() < 1) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, what + ": timing fields out of range");
    }
  }
}
