package io.outpost.store;

import io.outpost.protocol.ObjectRef;

/** An object of the desired state with its ref (namespace, name, uid, resourceVersion) and its spec. */
public record StoredSpec<T>(ObjectRef ref, T spec) {}
