package io.outpost.bridge.kubelet;

import io.outpost.protocol.stream.StreamRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The stream requests of the kubelet API's {@code exec}, {@code attach} and {@code portForward}, read from the query
 * the API server sends (the same over SPDY and WebSockets): {@code command} (exec), {@code input}/{@code stdin},
 * {@code output}/{@code stdout}, {@code error}/{@code stderr}, {@code tty}; {@code port} for a WebSocket
 * port-forward.
 */
final class StreamRequests {
  /** At most this many ports in one WebSocket port-forward (each is a relay session of its own). */
  static final int MAX_PORTS = 16;

  private StreamRequests() {}

  /** An exec ({@code kind} {@code exec}) or attach ({@code attach}) of {@code container}. */
  static StreamRequest execOrAttach(String kind, String namespace, String pod, String uid, String container,
      Map<String, List<String>> query) throws KubeletHandler.Refused {
    boolean stdin = KubeletHandler.flag(query, "input") || KubeletHandler.flag(query, "stdin");
    boolean stdout = KubeletHandler.flag(query, "output") || KubeletHandler.flag(query, "stdout");
    boolean tty = KubeletHandler.flag(query, "tty");
    boolean stderr = !tty && (KubeletHandler.flag(query, "error") || KubeletHandler.flag(query, "stderr"));
    if (!stdin && !stdout && !stderr) {
      throw new KubeletHandler.Refused(400, "you must specify at least one of stdin, stdout, stderr");
    }
    StreamRequest request;
    if (StreamRequest.ATTACH.equals(kind)) {
      request = StreamRequest.attach(namespace, pod, uid, container, stdin, stdout, stderr, tty);
    } else {
      List<String> command = query.getOrDefault("command", List.of());
      if (command.isEmpty()) {
        throw new KubeletHandler.Refused(400, "exec needs a command");
      }
      request = StreamRequest.exec(namespace, pod, uid, container, command, stdin, stdout, stderr, tty);
    }
    KubeletHandler.validate(request);
    return request;
  }

  /**
   * The ports of a WebSocket port-forward: every {@code port} parameter, each a comma-separated list (as the
   * kubelet's {@code portforward.NewV4Options} reads them); at least one, each 1–65535.
   */
  static List<Integer> ports(Map<String, List<String>> query) throws KubeletHandler.Refused {
    List<String> values = query.getOrDefault("port", List.of());
    if (values.isEmpty()) {
      throw new KubeletHandler.Refused(400, "query parameter \"port\" is required");
    }
    List<Integer> ports = new ArrayList<>();
    for (String value : values) {
      for (String part : value.split(",", -1)) {
        int port;
        try {
          port = Integer.parseInt(part.trim());
        } catch (NumberFormatException e) {
          throw new KubeletHandler.Refused(400, "unable to parse \"" + part + "\" as a port");
        }
        if (port < 1 || port > 65535) {
          throw new KubeletHandler.Refused(400, "port \"" + part + "\" must be 1-65535");
        }
        ports.add(port);
      }
    }
    if (ports.size() > MAX_PORTS) {
      throw new KubeletHandler.Refused(400, "at most " + MAX_PORTS + " ports per port-forward, asked " + ports.size());
    }
    return ports;
  }
}
