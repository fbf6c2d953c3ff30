package io.outpost.bridge.upstream;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.outpost.bridge.flow.NodeQueues;
import io.outpost.bridge.kube.Devices;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.DeviceStatusReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what an edge node reports of its Devices into their {@code status}, in KubeEdge's shape ({@code twins[]}
 * with {@code propertyName}, {@code reported} and {@code observedDesired}, {@code state}, {@code lastOnlineTime}),
 * plus {@code reason}/{@code message} when the node cannot serve the device. Coalesced: while a write of a device
 * waits on the node's upstream queue, newer reports only replace what it will write, so a burst costs one write; a
 * status equal to the one in the cache costs none. Only through the status subresource, as a kubelet does.
 */
final class DeviceStatusWriter {
  private static final Logger LOG = LoggerFactory.getLogger(DeviceStatusWriter.class);

  private final KubernetesClient client;
  private final Metrics metrics;
  private final BiFunction<String, String, GenericKubernetesResource> cache;
  /** Device uid → the newest report not yet written; present while a write is queued. */
  private final Map<String, DeviceStatusReport> waiting = new ConcurrentHashMap<>();

  DeviceStatusWriter(KubernetesClient client, Metrics metrics,
      BiFunction<String, String, GenericKubernetesResource> cache) {
    this.client = client;
    this.metrics = metrics;
    this.cache = cache;
  }

  /** Takes a checked report; queues its write on {@code queue} unless one for that device is queued already. */
  void offer(DeviceStatusReport report, NodeQueues queue) {
    if (waiting.put(report.ref().uid(), report) != null) {
      metrics.increment("outpost_bridge_device_status_coalesced_total");
      return;
    }
    queue.execute(report.node(), () -> {
      DeviceStatusReport newest = waiting.remove(report.ref().uid());
      try {
        write(newest);
      } catch (KubernetesClientException e) {
        metrics.increment("outpost_bridge_kube_errors_total", "code", Integer.toString(e.getCode()));
        LOG.warn("Kubernetes refused the status of Device {}: {} {}", newest.ref().key(), e.getCode(),
            e.getMessage());
      }
    });
  }

  /** Writes the report if the Device still exists with that uid, bound to the reporting node, and it changed. */
  void write(DeviceStatusReport report) {
    GenericKubernetesResource current = cache.apply(report.ref().namespace(), report.ref().name());
    if (current == null || !report.ref().uid().equals(current.getMetadata().getUid())
        || !report.node().equals(Devices.nodeName(current))) {
      return; // deleted or moved to another node meanwhile: that node reports now
    }
    Map<String, Object> status = toStatus(report);
    if (status.equals(current.getAdditionalProperties().get("status"))) {
      return;
    }
    var devices = client.genericKubernetesResources(Devices.DEVICES)
        .inNamespace(current.getMetadata().getNamespace());
    GenericKubernetesResource updated = client.getKubernetesSerialization().clone(current);
    updated.setAdditionalProperty("status", status);
    try {
      devices.resource(updated).updateStatus();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      String uid = current.getMetadata().getUid();
      devices.withName(current.getMetadata().getName()).editStatus(d -> {
        if (uid.equals(d.getMetadata().getUid())) {
          d.setAdditionalProperty("status", status);
        }
        return d;
      });
    }
    metrics.increment("outpost_bridge_kube_writes_total", "resource", "devices/status");
  }

  static Map<String, Object> toStatus(DeviceStatusReport report) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("state", report.state());
    put(status, "lastOnlineTime", report.lastOnlineTime());
    put(status, "reason", report.reason());
    put(status, "message", report.message());
    List<Object> twins = new ArrayList<>();
    if (report.twins() != null) {
      for (DeviceStatusReport.TwinV1 twin : report.twins()) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("propertyName", twin.property());
        Map<String, Object> metadata = new LinkedHashMap<>();
        put(metadata, "timestamp", twin.reportedAt());
        put(metadata, "reason", twin.reason());
        put(metadata, "message", twin.message());
        Map<String, Object> reported = new LinkedHashMap<>();
        reported.put("value", Objects.toString(twin.reported(), ""));
        if (!metadata.isEmpty()) {
          reported.put("metadata", metadata);
        }
        entry.put("reported", reported);
        if (twin.observedDesired() != null) {
          entry.put("observedDesired", Map.of("value", twin.observedDesired()));
        }
        twins.add(entry);
      }
    }
    status.put("twins", twins);
    return status;
  }

  private static void put(Map<String, Object> map, String key, String value) {
    if (value != null) {
      map.put(key, value);
    }
  }
}
