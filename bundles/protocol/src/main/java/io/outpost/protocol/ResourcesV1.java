package io.outpost.protocol;

/**
 * A container's compute resources, normalised by the bridge from Kubernetes quantities: CPU in millicores, memory
 * in bytes. Each field is optional (absent = not set in Kubernetes). The edge passes limits to the engine (memory
 * limit, CPU quota) and the CPU request as the container's CPU weight, as the kubelet does.
 * {@code ephemeralStorageRequestBytes} (added compatibly) is only read by the downward API
 * ({@code requests.ephemeral-storage}); an {@code ephemeral-storage} limit is refused by the bridge.
 */
public record ResourcesV1(Long cpuRequestMillis, Long cpuLimitMillis, Long memoryRequestBytes, Long memoryLimitBytes,
    Long ephemeralStorageRequestBytes) {

  /** Resources as bridges before {@code ephemeralStorageRequestBytes} send them. */
  public ResourcesV1(Long cpuRequestMillis, Long cpuLimitMillis, Long memoryRequestBytes, Long memoryLimitBytes) {
    this(cpuRequestMillis, cpuLimitMillis, memoryRequestBytes, memoryLimitBytes, null);
  }

  void validate() throws ProtocolException {
    nonNegative(cpuRequestMillis, "resources.cpuRequestMillis");
    nonNegative(cpuLimitMillis, "resources.cpuLimitMillis");
    nonNegative(memoryRequestBytes, "resources.memoryRequestBytes");
    nonNegative(memoryLimitBytes, "resources.memoryLimitBytes");
    nonNegative(ephemeralStorageRequestBytes, "resources.ephemeralStorageRequestBytes");
  }

  private static void nonNegative(Long value, String field) throws ProtocolException {
    if (value != null && value < 0) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, field + " must not be negative, was " + value);
    }
  }
}
