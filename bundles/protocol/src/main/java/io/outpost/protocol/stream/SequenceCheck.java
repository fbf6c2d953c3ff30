package io.outpost.protocol.stream;

/**
 * The sequence numbers of one direction of a session: the sender numbers its frames from 0; the receiver accepts
 * exactly the next one, ignores one it already had (a QoS 1 redelivery) and treats a jump as a lost frame.
 * Thread-safe.
 */
public final class SequenceCheck {
  public enum Result { NEXT, DUPLICATE, GAP }

  private int nextOut;
  private int expectedIn;

  public synchronized int next() {
    return nextOut++;
  }

  public synchronized Result accept(int seq) {
    if (seq == expectedIn) {
      expectedIn++;
      return Result.NEXT;
    }
    return seq < expectedIn ? Result.DUPLICATE : Result.GAP;
  }
}
