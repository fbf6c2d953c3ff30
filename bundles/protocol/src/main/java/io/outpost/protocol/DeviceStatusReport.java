package io.outpost.protocol;

import java.util.List;
import java.util.Set;

/**
 * The newest state of one Device and its twins, on {@code up/device}. Coalesced like pod status: only the newest
 * report of a device has to arrive. {@code state} is {@code online} (its last reads succeeded), {@code offline} (it
 * cannot be reached) or {@code unknown} (not read yet, or its configuration is unusable; {@code reason} says why).
 * Each twin carries the last value read ({@code reported}, when it was read and changed), the desired value last
 * written to the device ({@code observedDesired}), and the reason the last read or write failed, if it did.
 */
public record DeviceStatusReport(int v, String node, ObjectRef ref, String state, String reason, String message,
    String lastOnlineTime, List<TwinV1> twins) implements Message {

  public static final String ONLINE = "online";
  public static final String OFFLINE = "offline";
  public static final String UNKNOWN = "unknown";

  public record TwinV1(String property, String reported, String reportedAt, String observedDesired, String reason,
      String message) {}

  @Override
  public void validate() throws ProtocolException {
    Validation.requireVersion(v);
    Validation.require(node, "node");
    Validation.require(ref, "ref");
    ref.validate();
    if (!Downstream.KIND_DEVICE.equals(ref.kind())) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "a device status is about a Device, not a "
          + ref.kind());
    }
    Validation.require(state, "state"); // before contains(): Set.of rejects null with an exception
    if (!Set.of(ONLINE, OFFLINE, UNKNOWN).contains(state)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "unknown device state '" + state + "'");
    }
    if (twins != null) {
      if (twins.size() > DeviceV1.MAX_PROPERTIES) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "too many twins");
      }
      for (TwinV1 twin : twins) {
        Validation.require(twin, "twins[]");
        Validation.require(twin.property(), "twins[].property");
        if (twin.reported() != null && twin.reported().length() > DeviceV1.MAX_VALUE) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "reported value of " + twin.property()
              + " is longer than " + DeviceV1.MAX_VALUE);
        }
      }
    }
  }
}
