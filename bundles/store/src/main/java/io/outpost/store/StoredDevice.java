package io.outpost.store;

import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.ObjectRef;

/** A Device bound to this node, as the cloud last described it. */
public record StoredDevice(ObjectRef ref, DeviceV1 device) {}
