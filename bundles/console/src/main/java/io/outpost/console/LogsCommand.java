package io.outpost.console;

import io.outpost.containers.ContainerManager;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code outpost:logs <namespace>/<pod> [container] [--tail N]}: a container's log, read from the engine. */
@Command(scope = "outpost", name = "logs", description = "Prints the log of a container of a pod on this edge node")
@Service
public class LogsCommand implements Action {
  @Reference
  ContainerManager containers;

  @Argument(index = 0, name = "pod", required = true,
      description = "namespace/pod (a bare pod name means namespace default)")
  String pod;

  /** The container, and {@code --tail N} also after the arguments (Karaf's parser takes options only before). */
  @Argument(index = 1, name = "container", required = false, multiValued = true,
      description = "container name; may be left out if the pod has one container")
  List<String> rest;

  @Option(name = "--tail", description = "only the last N lines (default: all)")
  int tail = -1;

  @Override
  public Object execute() {
    String container = null;
    List<String> words = rest == null ? List.of() : rest;
    for (int i = 0; i < words.size(); i++) {
      String word = words.get(i);
      if ("--tail".equals(word) && i + 1 < words.size()) {
        tail = lines(words.get(++i));
      } else if (word.startsWith("--tail=")) {
        tail = lines(word.substring("--tail=".length()));
      } else if (container == null && !word.startsWith("-")) {
        container = word;
      } else {
        throw new IllegalArgumentException("unexpected '" + word + "': usage outpost:logs <namespace>/<pod>"
            + " [container] [--tail N]");
      }
    }
    int slash = pod.indexOf('/');
    String namespace = slash < 0 ? "default" : pod.substring(0, slash);
    String name = slash < 0 ? pod : pod.substring(slash + 1);
    if (namespace.isEmpty() || name.isEmpty() || name.contains("/")) {
      throw new IllegalArgumentException("pod must be <namespace>/<name> or <name>, was '" + pod + "'");
    }
    if (tail < -1) {
      throw new IllegalArgumentException("--tail must be a number of lines (0 or more), was " + tail);
    }
    String log = containers.logs(namespace, name, container, tail);
    System.out.print(log);
    if (!log.isEmpty() && !log.endsWith("\n")) {
      System.out.println();
    }
    return null;
  }

  private static int lines(String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--tail must be a number of lines, was '" + value + "'");
    }
  }
}
