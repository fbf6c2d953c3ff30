/**
 * Gateway rollouts: the signed manifest of an artifact (an Outpost bundle or feature repository) that a node installs
 * only once its bytes match the manifest's SHA-256 and the manifest's Ed25519 signature verifies with a key the node
 * trusts, and the keys and signatures themselves.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.outpost.rollout;
