package io.outpost.store.impl;

/**
 * Kubernetes calls resourceVersions opaque; every API server in use (etcd3 storage) issues increasing integers.
 * Two integers are compared numerically; anything else is only compared for equality (different means newer), so
 * the store never drops a change it cannot order.
 */
final class ResourceVersions {
  private ResourceVersions() {}

  static boolean isNewer(String candidate, String held) {
    if (candidate.equals(held)) {
      return false;
    }
    try {
      return Long.parseLong(candidate) > Long.parseLong(held);
    } catch (NumberFormatException e) {
      return true;
    }
  }
}
