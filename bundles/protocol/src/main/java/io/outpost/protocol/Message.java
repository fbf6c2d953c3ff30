package io.outpost.protocol;

/** Every payload of protocol v1 is one of these records, carrying its version in field {@code v}. */
public interface Message {
  int v();

  /** Checks the fields the decoder cannot check by type. */
  void validate() throws ProtocolException;
}
