package io.outpost.rollout;

import java.nio.file.Path;

/**
 * The node's one way to install Outpost artifacts: only a manifest whose signature verifies with a trusted key, and
 * only bytes whose SHA-256 and size are the manifest's, reach the installer; one installation at a time.
 */
public interface GatewayArtifacts {
  /** Verifies and installs {@code artifact} as {@code manifest} describes it. */
  InstallOutcome install(ArtifactManifest manifest, Path artifact) throws InterruptedException;

  /**
   * Why {@code manifest} would be refused before a byte of its artifact is fetched — not signed by a key this node
   * trusts, or a signature that does not verify; empty if it would be accepted so far.
   */
  java.util.Optional<String> refusal(ArtifactManifest manifest);

  /**
   * Finishes an installation of {@code manifest} that a restart interrupted, without saving the running revision
   * again (the saved one is the revision before the update): the health gate on what runs, and a rollback if it does
   * not hold. Empty if the update had not taken effect: the artifact is then installed as usual.
   */
  java.util.Optional<InstallOutcome> resume(ArtifactManifest manifest) throws InterruptedException;
}
