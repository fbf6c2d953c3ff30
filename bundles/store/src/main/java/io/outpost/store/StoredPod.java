package io.outpost.store;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;

/** A pod as the cloud last described it to this node. */
public record StoredPod(ObjectRef ref, PodV1 pod) {}
