package io.outpost.sync.impl;

/**
 * One reading of the host, as the kubelet's eviction manager observes its signals; {@link #UNKNOWN} where a figure
 * could not be read.
 *
 * @param cpus logical CPUs
 * @param memoryTotal {@code MemTotal} in bytes
 * @param memoryAvailable {@code MemAvailable} in bytes
 * @param nodefsCapacity size of the filesystem holding pod data, bytes
 * @param nodefsAvailable bytes of it available to unprivileged users (statfs {@code f_bavail})
 * @param imagefsCapacity size of the container engine's storage filesystem, bytes
 * @param imagefsAvailable bytes of it available
 * @param pidsInUse tasks (processes and threads) on the host
 * @param pidMax the lower of {@code kernel.pid_max} and {@code kernel.threads-max}
 */
record HostMeasurements(int cpus, long memoryTotal, long memoryAvailable, long nodefsCapacity,
    long nodefsAvailable, long imagefsCapacity, long imagefsAvailable, long pidsInUse, long pidMax) {
  static final long UNKNOWN = -1;
}
