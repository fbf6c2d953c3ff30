package io.outpost.devices;

/**
 * Why a driver could not read or write: a short, stable {@code reason} (for device status and counters:
 * {@code unreachable}, {@code invalid_config}, {@code out_of_range}, {@code device_error}, {@code unknown_protocol})
 * and a message for people.
 */
public final class DriverException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String reason;

  public DriverException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public DriverException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
