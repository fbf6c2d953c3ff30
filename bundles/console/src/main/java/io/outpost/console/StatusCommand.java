package io.outpost.console;

import io.outpost.sync.SyncService;
import io.outpost.sync.SyncState;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code outpost:status}: the node's link to the cloud, its sync position, outbox and last resync. */
@Command(scope = "outpost", name = "status", description = "Shows this edge node's connection and sync state")
@Service
public class StatusCommand implements Action {
  @Reference
  SyncService sync;

  /** Whether the SSH console listens (seen here on Karaf's local console when it does not). */
  @Reference(optional = true)
  SshConsoleCheck console;

  @Override
  public Object execute() {
    SyncState state = sync.state();
    ShellTable table = new ShellTable();
    table.column("Property");
    table.column("Value");
    table.addRow().addContent("node", state.node());
    table.addRow().addContent("broker", state.broker());
    table.addRow().addContent("connected", state.connected());
    if (state.problem() != null) {
      table.addRow().addContent("problem", state.problem()); // why not: a refused configuration, the last failure
    }
    table.addRow().addContent("epoch", state.epoch());
    table.addRow().addContent("last sequence", state.seq());
    table.addRow().addContent("outbox depth", state.outboxDepth() + " status(es), " + state.eventDepth()
        + " event(s)");
    table.addRow().addContent("events dropped", state.eventsDropped());
    table.addRow().addContent("last resync", state.lastResyncAt() == null ? "never" : state.lastResyncAt());
    table.addRow().addContent("last resync size", state.lastResyncObjects() + " object change(s)");
    table.addRow().addContent("rejected", state.rejected().isEmpty() ? "none" : state.rejected());
    table.addRow().addContent("outcomes", state.outcomes());
    if (console != null) {
      table.addRow().addContent("console (ssh)", console.describe());
    }
    table.print(System.out);
    return null;
  }
}
