package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.EventReport;

/**
 * Writes an edge's events as core/v1 Events on the pod — or on the Service, for a Service the node cannot program
 * (e.g. its NodePort is taken) — named {@code <pod or service>.<event id>} so that a redelivered event
 * changes nothing and a repeat (same id, higher count: the edge correlates repeats as the kubelet's correlator does)
 * updates the same Event's count and lastTimestamp (a PATCH, as client-go's {@code recordToSink} does). Legacy style
 * (count, first/lastTimestamp, no eventTime), like the kubelet's, which every Kubernetes version shows.
 *
 * <p>The node stands in for a kubelet, so the Event says so where tools look: {@code source.component} is
 * {@code kubelet} and {@code source.host} the node (kubectl describe's "From" column, {@code kubectl get events
 * --field-selector source=kubelet}); {@code involvedObject.fieldPath} names the container. Outpost is named as the
 * reporting controller: {@code reportingComponent} {@value #REPORTING_COMPONENT}, {@code reportingInstance} the node
 * (a kubelet writes {@code kubelet} and its node there).
 */
final class EventWriter {
  /** The kubelet's event source component (pkg/kubelet/kubelet.go: {@code ComponentKubelet}). */
  static final String COMPONENT = "kubelet";
  static final String REPORTING_COMPONENT = "outpost-edge";

  private final KubernetesClient client;
  private final Metrics metrics;

  EventWriter(KubernetesClient client, Metrics metrics) {
    this.client = client;
    this.metrics = metrics;
  }

  void write(EventReport report, Pod pod) {
    write(report, "Pod", pod);
  }

  /** An event about a Service of the node (no container, so no {@code fieldPath}). */
  void write(EventReport report, Service service) {
    write(report, "Service", service);
  }

  private void write(EventReport report, String kind, HasMetadata involved) {
    String namespace = involved.getMetadata().getNamespace();
    String objectName = involved.getMetadata().getName();
    String name = (objectName.length() > 236 ? objectName.substring(0, 236) : objectName) + "." + report.id();
    Event event = new EventBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
        .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion("v1").withKind(kind)
            .withNamespace(namespace).withName(objectName).withUid(involved.getMetadata().getUid())
            .withResourceVersion(involved.getMetadata().getResourceVersion()).withFieldPath(report.fieldPath())
            .build())
        .withType(report.type()).withReason(report.reason()).withMessage(report.message())
        .withCount(report.count()).withFirstTimestamp(report.firstTimestamp())
        .withLastTimestamp(report.lastTimestamp())
        .withSource(new EventSource(COMPONENT, report.node()))
        .withReportingComponent(REPORTING_COMPONENT).withReportingInstance(report.node())
        .build();
    try {
      client.v1().events().inNamespace(namespace).resource(event).create();
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "events");
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      Event existing = client.v1().events().inNamespace(namespace).withName(name).get();
      if (existing != null && existing.getCount() != null && existing.getCount() >= report.count()) {
        metrics.increment("outpost_bridge_duplicates_total", "channel", "event");
        return; // a redelivery of what is written already
      }
      client.v1().events().inNamespace(namespace).withName(name).edit(current -> new EventBuilder(current)
          .withCount(report.count()).withLastTimestamp(report.lastTimestamp()).build());
      metrics.increment("outpost_bridge_kube_writes_total", "resource", "events");
    }
  }
}
