package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import java.util.LinkedHashMap;
import java.util.Map;

/** Container names and labels. Every container the manager creates carries all of these labels. */
final class Naming {
  static final String MANAGED = "io.outpost.managed";
  static final String NODE = "io.outpost.node";
  static final String POD_UID = "io.outpost.pod.uid";
  static final String POD_NAMESPACE = "io.outpost.pod.namespace";
  static final String POD_NAME = "io.outpost.pod.name";
  static final String CONTAINER = "io.outpost.container";

  private static final int MAX_NAME = 200;
  private static final int UID_PREFIX = 8;

  private Naming() {}

  /** {@code outpost_<namespace>_<pod>_<container>_<uid prefix>}, valid as a Docker/Podman container name. */
  static String containerName(ObjectRef ref, String container) {
    String uid = sanitise(ref.uid());
    String suffix = "_" + sanitise(container) + "_" + uid.substring(0, Math.min(UID_PREFIX, uid.length()));
    String prefix = "outpost_" + sanitise(ref.namespace() == null ? "default" : ref.namespace()) + "_"
        + sanitise(ref.name());
    if (prefix.length() + suffix.length() > MAX_NAME) {
      prefix = prefix.substring(0, MAX_NAME - suffix.length());
    }
    return prefix + suffix;
  }

  /** Replaces every character Docker does not allow in names ({@code [a-zA-Z0-9_.-]}) by {@code -}. */
  static String sanitise(String value) {
    if (value == null || value.isEmpty()) {
      return "x";
    }
    StringBuilder out = new StringBuilder(value.length());
    for (char c : value.toCharArray()) {
      boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '.' || c == '-';
      out.append(allowed ? c : '-');
    }
    return out.toString();
  }

  static Map<String, String> labels(String node, ObjectRef ref, String container) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MANAGED, "true");
    labels.put(NODE, node);
    labels.put(POD_UID, ref.uid());
    labels.put(POD_NAMESPACE, ref.namespace() == null ? "" : ref.namespace());
    labels.put(POD_NAME, ref.name());
    labels.put(CONTAINER, container);
    return labels;
  }
}
