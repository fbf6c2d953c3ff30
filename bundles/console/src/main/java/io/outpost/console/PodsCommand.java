package io.outpost.console;

import io.outpost.containers.ContainerManager;
import io.outpost.containers.PodRuntime;
import io.outpost.protocol.PodStatusReport;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code outpost:pods}: the pods this node runs, as its container manager sees them. */
@Command(scope = "outpost", name = "pods", description = "Lists the pods on this edge node and their state")
@Service
public class PodsCommand implements Action {
  @Reference
  ContainerManager containers;

  @Override
  public Object execute() {
    ShellTable table = new ShellTable();
    table.column("Namespace");
    table.column("Name");
    table.column("Phase");
    table.column("Containers");
    table.column("Restarts");
    table.column("Pod IP");
    for (PodRuntime pod : containers.pods()) {
      PodStatusReport status = pod.status();
      table.addRow().addContent(pod.ref().namespace(), pod.ref().name(),
          status == null ? "-" : status.phase(), containers(status), restarts(status),
          status == null || status.podIP() == null ? "-" : status.podIP());
    }
    table.print(System.out);
    return null;
  }

  private static String containers(PodStatusReport status) {
    if (status == null || status.containers() == null || status.containers().isEmpty()) {
      return "-";
    }
    StringBuilder text = new StringBuilder();
    for (PodStatusReport.ContainerStatusV1 c : status.containers()) {
      if (text.length() > 0) {
        text.append(", ");
      }
      String state = c.state() == null ? "unknown" : c.state().kind();
      String reason = c.state() == null || c.state().reason() == null ? "" : "(" + c.state().reason() + ")";
      text.append(c.name()).append(':').append(state).append(reason);
    }
    return text.toString();
  }

  private static int restarts(PodStatusReport status) {
    return status == null || status.containers() == null ? 0
        : status.containers().stream().mapToInt(PodStatusReport.ContainerStatusV1::restartCount).sum();
  }
}
