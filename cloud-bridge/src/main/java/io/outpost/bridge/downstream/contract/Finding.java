package io.outpost.bridge.downstream.contract;

/**
 * One refused value found in a pod: {@code subPath} is appended to the field's path ({@code ""} for the field itself,
 * e.g. {@code ".ephemeral-storage"} for one key of a map), {@code reason} is what the user reads.
 */
public record Finding(String subPath, String reason) {
  public static Finding of(String reason) {
    return new Finding("", reason);
  }
}
