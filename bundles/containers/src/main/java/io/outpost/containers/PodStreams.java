package io.outpost.containers;

import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamRequest;

/**
 * The edge's side of streams ({@code kubectl logs/exec/port-forward}): the in-process contract between the container
 * manager, which offers it as an OSGi service, and the sync bundle, which relays the frames over MQTT. The frames,
 * requests, ends and flow control on the wire are protocol ({@code io.outpost.protocol.stream}); this interface is
 * not. Implementations serve only pods this node runs.
 */
public interface PodStreams {

  /**
   * Starts serving {@code request}. Bytes from the pod go to {@code output} (whose {@code write} blocks while the
   * peer has no room); {@link StreamOutput#end} is called once when the stream is over. Returns at once.
   *
   * @throws StreamException with the code and reason to answer when the request cannot be served (no such pod or
   *     container on this node, the container is not running, the engine failed)
   */
  PodStream open(StreamRequest request, StreamOutput output) throws StreamException;

  /** Where a stream's bytes go. */
  interface StreamOutput {
    /**
     * Passes bytes on, waiting while the peer has no room.
     *
     * @throws java.io.IOException if the session is over (the caller stops and frees what it holds)
     */
    void write(int channel, byte[] data, int offset, int length) throws java.io.IOException;

    /** The stream is over; the first call counts, later ones are ignored. */
    void end(StreamEnd end);
  }

  /** An open stream; {@link #close} frees everything it holds and may be called at any time, more than once. */
  interface PodStream extends AutoCloseable {
    /** Bytes towards the pod (exec stdin, port-forward data); blocks while the engine does not take them. */
    void write(byte[] data, int offset, int length) throws java.io.IOException;

    /** No more bytes towards the pod (stdin closed, the client half-closed its connection). */
    void closeInput() throws java.io.IOException;

    /** The terminal changed size (exec with a tty); ignored otherwise. */
    void resize(int width, int height);

    @Override
    void close();
  }

  /** A request that cannot be served, with the code to answer ({@link StreamEnd#code}). */
  final class StreamException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int code;

    public StreamException(int code, String message) {
      super(message);
      this.code = code;
    }

    public int code() {
      return code;
    }
  }
}
