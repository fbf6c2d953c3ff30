package io.outpost.sync;

import io.outpost.protocol.ArtifactChunk;
import java.util.List;

/**
 * The link's channel for gateway rollouts: the node pulls the chunks of its assigned artifact from the bridge and
 * reports its progress. Requests and reports go out only while a bridge listens on the link; a request that could not
 * go out returns false, and {@link Listener#linkUp} says when to ask again. The newest progress report is sent again
 * whenever a bridge is (again) heard, so a node that finished or rolled back while cut off reports it on return.
 */
public interface ArtifactChannel {

  /** Asks the bridge for chunks {@code indices} of the artifact {@code sha256}; false if the link is down now. */
  boolean request(String sha256, int chunkSize, List<Integer> indices);

  /** Publishes the node's progress with its gateway target (kept, and sent again after every reconnect). */
  void report(Progress progress);

  /** Registers a listener for chunks and link changes; close the handle to remove it. */
  AutoCloseable listen(Listener listener);

  /** What the node reports (the link adds the node's name and the time). See {@code RolloutReport}. */
  record Progress(String rollout, String name, String version, String sha256, String state, String reason,
      int received, int chunks) {}

  /** Called on the link's threads: implementations hand work to their own thread and return at once. */
  interface Listener {
    /** A chunk (or a refusal) arrived, decoded and checked. */
    void chunk(ArtifactChunk chunk);

    /** A bridge listens on the link (again): outstanding requests may be repeated. */
    void linkUp();
  }
}
