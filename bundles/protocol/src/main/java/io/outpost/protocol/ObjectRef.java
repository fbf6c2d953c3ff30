package io.outpost.protocol;

/** Names one Kubernetes object: kind, namespace, name, uid and the resourceVersion the message carries. */
public record ObjectRef(String kind, String namespace, String name, String uid, String resourceVersion) {

  /** The store key of the object: {@code kind/namespace/name}. */
  public String key() {
    return key(kind, namespace, name);
  }

  public static String key(String kind, String namespace, String name) {
    return kind + "/" + (namespace == null ? "" : namespace) + "/" + name;
  }

  void validate() throws ProtocolException {
    Validation.require(kind, "ref.kind");
    Validation.require(name, "ref.name");
    Validation.require(uid, "ref.uid");
    Validation.require(resourceVersion, "ref.resourceVersion");
  }
}
