package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventSource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes core/v1 Events about one kind of custom resource, as a controller does ({@code kubectl describe} shows them):
 * a unique name per Event, the involved object with its uid and resourceVersion, the controller as source and
 * reporting component, the message cut at 1,024 characters. Events of a cluster-scoped object go to the
 * {@value #CLUSTER_NAMESPACE} namespace, as Kubernetes' own. An Event that cannot be written is logged, never retried.
 */
public final class ControllerEvents {
  public static final String CLUSTER_NAMESPACE = "default";
  private static final Logger LOG = LoggerFactory.getLogger(ControllerEvents.class);

  private final KubernetesClient client;
  private final String component;
  private final String apiVersion;
  private final String kind;
  private final Clock clock;

  public ControllerEvents(KubernetesClient client, String component, String apiVersion, String kind, Clock clock) {
    this.client = client;
    this.component = component;
    this.apiVersion = apiVersion;
    this.kind = kind;
    this.clock = clock;
  }

  /** Writes one Event on {@code owner}; true if the API server took it. */
  public boolean write(HasMetadata owner, String type, String reason, String message) {
    String objectNamespace = owner.getMetadata().getNamespace();
    String namespace = objectNamespace == null ? CLUSTER_NAMESPACE : objectNamespace;
    String name = owner.getMetadata().getName();
    String now = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    byte[] id = new byte[8];
    ThreadLocalRandom.current().nextBytes(id);
    try {
      client.v1().events().inNamespace(namespace).resource(new EventBuilder()
          .withNewMetadata().withName((name.length() > 236 ? name.substring(0, 236) : name) + "."
              + HexFormat.of().formatHex(id)).withNamespace(namespace).endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(apiVersion).withKind(kind)
              .withNamespace(objectNamespace).withName(name).withUid(owner.getMetadata().getUid())
              .withResourceVersion(owner.getMetadata().getResourceVersion()).build())
          .withType(type).withReason(reason).withMessage(message.length() > 1024 ? message.substring(0, 1024)
              : message)
          .withCount(1).withFirstTimestamp(now).withLastTimestamp(now)
          .withSource(new EventSource(component, null)).withReportingComponent(component)
          .build()).create();
      return true;
    } catch (KubernetesClientException e) {
      LOG.warn("Event {} on {} {}{} not written: {}", reason, kind, objectNamespace == null ? ""
          : objectNamespace + "/", name, e.getMessage());
      return false;
    }
  }
}
