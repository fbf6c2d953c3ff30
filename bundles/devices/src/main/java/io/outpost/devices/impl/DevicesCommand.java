package io.outpost.devices.impl;

import io.outpost.protocol.DeviceStatusReport;
import io.outpost.store.DesiredState;
import io.outpost.store.StoredDevice;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code outpost:devices}: the Devices bound to this node, their state and twins, as last recorded in the store. */
@Command(scope = "outpost", name = "devices", description = "Lists this node's Devices with their state and twins")
@Service
public class DevicesCommand implements Action {
  @Reference
  DesiredState store;

  /**
   * The device module's own component, for the last status of each device: the shell injects a reference by its
   * type alone (Karaf's {@code @Reference} filter selects which services make the command available, not which one
   * is injected), and the store offers three {@code Outbox} services.
   */
  @Reference
  DeviceTwins twins;

  @Override
  public Object execute() {
    ShellTable table = new ShellTable();
    table.column("Device");
    table.column("Protocol");
    table.column("State");
    table.column("Twins (reported / desired written)");
    table.column("Problem");
    for (StoredDevice device : store.devices()) {
      DeviceStatusReport status = twins.lastStatus(device.ref().uid()).orElse(null);
      StringBuilder twins = new StringBuilder();
      StringBuilder problem = new StringBuilder(status == null || status.reason() == null ? ""
          : status.reason() + ": " + status.message());
      if (status != null && status.twins() != null) {
        for (DeviceStatusReport.TwinV1 twin : status.twins()) {
          twins.append(twins.length() == 0 ? "" : ", ").append(twin.property()).append('=').append(twin.reported())
              .append(twin.observedDesired() == null ? "" : " / " + twin.observedDesired());
          if (twin.reason() != null) {
            problem.append(problem.length() == 0 ? "" : "; ").append(twin.property()).append(' ')
                .append(twin.reason()).append(": ").append(twin.message());
          }
        }
      }
      table.addRow().addContent(device.ref().namespace() + "/" + device.ref().name(),
          device.device().protocol() == null ? "(model's)" : device.device().protocol(),
          status == null ? "not read yet" : status.state(), twins, problem);
    }
    table.print(System.out);
    return null;
  }
}
