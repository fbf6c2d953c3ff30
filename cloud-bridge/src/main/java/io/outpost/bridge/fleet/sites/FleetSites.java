package io.outpost.bridge.fleet.sites;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.outpost.bridge.config.BridgeConfig;
import io.outpost.bridge.kube.ChangeHandler;
import io.outpost.bridge.kube.Informers;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.bridge.config.SiteSettings;
import io.outpost.protocol.NodeReport;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Sites as the bridge keeps them (docs/operations.md, "Sites"), wired: each edge Node labelled with its site
 * ({@link SiteLabels}, from heartbeats) and every site summarised into metrics and {@code Site} objects
 * ({@link SiteStatus}, {@link SiteObjects}, the active replica writing).
 */
public final class FleetSites implements AutoCloseable {
  private final SiteLabels labels;
  private final SiteStatus status;
  private final Duration interval;
  private final LastContacts contacts;

  /** Before the informers start: listens to Node deletions. */
  public FleetSites(BridgeConfig config, KubernetesClient client, Informers informers, Metrics metrics,
      BooleanSupplier active) {
    LastContacts contacts = new LastContacts();
    this.contacts = contacts;
    String siteLabel = config.podNetworks().siteLabel();
    SiteSettings settings = config.sites();
    this.labels = new SiteLabels(client, siteLabel, SiteLabels.pins(informers::configMap, settings.namespace()),
        metrics, contacts, Clock.systemUTC());
    this.status = new SiteStatus(informers::edgeNodes, informers::podsOn, siteLabel, contacts, metrics,
        settings.objects() ? new SiteObjects(client, metrics, Duration.ofSeconds(config.leaseDurationSeconds()))
            : null, active, Clock.systemUTC());
    this.interval = settings.statusInterval();
    informers.nodes().addEventHandler(ChangeHandler.onDelete(node -> labels.forget(node.getMetadata().getName())));
  }

  /**
   * What the node writer calls on every heartbeat (the upstream path's {@code NodeLabels}): keeps the Node's site
   * labels and returns it as patched.
   */
  public io.fabric8.kubernetes.api.model.Node keep(io.fabric8.kubernetes.api.model.Node node, NodeReport report,
      boolean factsFresh) {
    return labels.keep(node, report, factsFresh);
  }

  /** When the node was last heard from: its last heartbeat at this bridge, else its Node's Ready heartbeat. */
  public java.time.Instant lastContact(io.fabric8.kubernetes.api.model.Node node) {
    return contacts.of(node);
  }

  /** Once the informers have synced: the summaries begin. */
  public void start() {
    status.start(interval);
  }

  @Override
  public void close() {
    status.close();
  }
}
