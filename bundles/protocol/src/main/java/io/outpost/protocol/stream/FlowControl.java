package io.outpost.protocol.stream;

/**
 * Credit-based flow control of one session, for both directions as one side sees them. Each side may have at most
 * {@link #WINDOW} bytes of DATA in flight towards the other: sending takes credit, the receiver gives it back with
 * a CREDIT frame once it has passed the bytes on (to the engine, to the HTTP client). A receiver therefore never
 * holds more than one window per session, and a slow consumer stops the producer instead of filling memory.
 * Thread-safe.
 */
public final class FlowControl {
  public static final int WINDOW = 256 * 1024;
  /** Credit is given back in batches of at least this many bytes (or when the consumer is idle, see {@link #flush}). */
  private static final int BATCH = WINDOW / 4;

  private int sendCredit = WINDOW;
  private int unconsumed;
  private int ungranted;
  private boolean closed;

  /** Takes {@code bytes} of credit if available now. */
  public synchronized boolean trySend(int bytes) {
    if (closed || sendCredit < bytes) {
      return false;
    }
    sendCredit -= bytes;
    return true;
  }

  /**
   * Waits until {@code bytes} of credit are available and takes them; false if the session closed or the wait
   * timed out (the peer stopped reading).
   */
  public synchronized boolean awaitSend(int bytes, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!closed && sendCredit < bytes) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    if (closed) {
      return false;
    }
    sendCredit -= bytes;
    return true;
  }

  public synchronized int sendCredit() {
    return sendCredit;
  }

  /** The peer gave back credit. */
  public synchronized void granted(int bytes) {
    sendCredit = (int) Math.min((long) sendCredit + bytes, Integer.MAX_VALUE);
    notifyAll();
  }

  /** DATA arrived; false if the peer sent more than the credit it had (a protocol violation: end the session). */
  public synchronized boolean received(int bytes) {
    unconsumed += bytes;
    return unconsumed + ungranted <= WINDOW;
  }

  /** Bytes received earlier have been passed on; returns the credit to grant now, or 0 to wait for more. */
  public synchronized int consumed(int bytes) {
    unconsumed -= bytes;
    ungranted += bytes;
    if (ungranted < BATCH) {
      return 0;
    }
    return flush();
  }

  /** Returns all credit not yet granted (the consumer has caught up), or 0. */
  public synchronized int flush() {
    int grant = ungranted;
    ungranted = 0;
    return grant;
  }

  /** Wakes every waiting sender; no credit is granted any more. */
  public synchronized void close() {
    closed = true;
    notifyAll();
  }
}
