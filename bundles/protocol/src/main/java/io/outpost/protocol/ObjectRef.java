package io.outpost.protocol;

/**
 * Names one Kubernetes object: kind, namespace, name, uid, the resourceVersion the message carries and, on what the
 * bridge sends, the {@link ContentHash} of the body. Digests name an object by its hash when it has one, else by
 * its resourceVersion (see {@link #contentVersion()}).
 */
public record ObjectRef(String kind, String namespace, String name, String uid, String resourceVersion, String hash) {

  /** A ref without a content hash (deletes, and refs built before hashing). */
  public ObjectRef(String kind, String namespace, String name, String uid, String resourceVersion) {
    this(kind, namespace, name, uid, resourceVersion, null);
  }

  /** The store key of the object: {@code kind/namespace/name}. */
  public String key() {
    return key(kind, namespace, name);
  }

  public static String key(String kind, String namespace, String name) {
    return kind + "/" + (namespace == null ? "" : namespace) + "/" + name;
  }

  /** This ref carrying {@code contentHash}. */
  public ObjectRef withHash(String contentHash) {
    return new ObjectRef(kind, namespace, name, uid, resourceVersion, contentHash);
  }

  /** What digests use to tell versions apart: {@code h:<hash>} if the ref has a content hash, else the rv. */
  public String contentVersion() {
    return hash != null ? "h:" + hash : resourceVersion;
  }

  /** True if both refs name the same incarnation (uid) in the same content. */
  public boolean sameContent(ObjectRef other) {
    return other != null && uid.equals(other.uid()) && contentVersion().equals(other.contentVersion());
  }

  void validate() throws ProtocolException {
    Validation.require(kind, "ref.kind");
    Validation.require(name, "ref.name");
    Validation.require(uid, "ref.uid");
    Validation.require(resourceVersion, "ref.resourceVersion");
    if (hash != null && !hash.matches("[0-9a-f]{32}")) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "ref.hash must be 32 lowercase hex digits");
    }
  }
}
