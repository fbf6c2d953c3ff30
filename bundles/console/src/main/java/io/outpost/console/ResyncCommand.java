package io.outpost.console;

import io.outpost.sync.SyncService;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code outpost:resync}: sends this node's digest now; the bridge answers with the difference. */
@Command(scope = "outpost", name = "resync", description = "Asks the bridge for the difference to this node's store now")
@Service
public class ResyncCommand implements Action {
  @Reference
  SyncService sync;

  @Override
  public Object execute() {
    sync.requestResync("console");
    System.out.println("Resync requested; see outpost:status for its completion.");
    return null;
  }
}
