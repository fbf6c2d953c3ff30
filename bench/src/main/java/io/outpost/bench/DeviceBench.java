package io.outpost.bench;

/**
 * {@code bench/device-twins.sh [devices] [failing] [changes] [workers]}: the twin engine's reads per second and its
 * latency from a change on a Modbus device to the recorded device status (see
 * {@link io.outpost.devices.impl.DeviceTwinsBench}).
 */
public final class DeviceBench {
  private DeviceBench() {}

  public static void main(String[] args) throws Exception {
    int devices = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int failing = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    int changes = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int workers = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    io.outpost.devices.impl.DeviceTwinsBench.run(devices, failing, changes, workers);
  }
}
