package io.outpost.containers.impl;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;

/**
 * The node's primary address, chosen as the node reports its {@code InternalIP} (the sync bundle's node facts: the
 * first IPv4 address of the first interface that is up, not loopback, not virtual): the pod IP of a
 * {@code hostNetwork} pod, as a kubelet reports the node's IP for such pods.
 */
final class HostAddress {
  private HostAddress() {}

  static String primary() {
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback() || nic.isVirtual()) {
          continue;
        }
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address instanceof Inet4Address) {
            return address.getHostAddress();
          }
        }
      }
      return InetAddress.getLocalHost().getHostAddress();
    } catch (SocketException | UnknownHostException e) {
      return InetAddress.getLoopbackAddress().getHostAddress();
    }
  }
}
