package io.outpost.containers.impl;

/** A request to the container engine failed; the message is the engine's own where it gave one. */
final class EngineException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  EngineException(String message, Throwable cause) {
    super(message, cause);
  }
}
