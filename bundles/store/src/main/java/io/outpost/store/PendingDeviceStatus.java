package io.outpost.store;

import io.outpost.protocol.DeviceStatusReport;

/** A device status waiting in the outbox; {@code version} identifies it for {@link EdgeStore#deviceStatusDelivered}. */
public record PendingDeviceStatus(String uid, long version, DeviceStatusReport report) {}
