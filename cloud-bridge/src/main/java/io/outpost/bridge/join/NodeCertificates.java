package io.outpost.bridge.join;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the CA issued to each node and which nodes are revoked, in Kubernetes: one ConfigMap per node ({@code
 * outpost-node-<node>}, label {@code outpost.io/node-identity}) with {@code serial.<hex>} entries (their expiry) and,
 * once revoked, {@code revoked-at}. A revoked node can neither renew nor join again under its name until an operator
 * deletes the ConfigMap, and every serial it was issued goes into the CRL.
 */
public final class NodeCertificates {
  public static final String LABEL = "outpost.io/node-identity";
  private static final String SERIAL = "serial.";

  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;

  public NodeCertificates(KubernetesClient client, String namespace, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
  }

  private static String name(String node) {
    return "outpost-node-" + node;
  }

  public boolean revoked(String node) {
    ConfigMap map = client.configMaps().inNamespace(namespace).withName(name(node)).get();
    return map != null && map.getData() != null && map.getData().containsKey("revoked-at");
  }

  /** Nodes revoked so far. */
  public Set<String> revokedNodes() {
    return client.configMaps().inNamespace(namespace).withLabel(LABEL, "true").list().getItems().stream()
        .filter(m -> m.getData() != null && m.getData().containsKey("revoked-at"))
        .map(m -> m.getMetadata().getLabels().get("outpost.io/node")).collect(Collectors.toSet());
  }

  /** Every serial issued to a revoked node that has not expired yet, with the revocation time. */
  public Map<BigInteger, Instant> revokedSerials() {
    Map<BigInteger, Instant> serials = new HashMap<>();
    Instant now = clock.instant();
    for (ConfigMap map : client.configMaps().inNamespace(namespace).withLabel(LABEL, "true").list().getItems()) {
      Map<String, String> data = map.getData() == null ? Map.of() : map.getData();
      String revokedAt = data.get("revoked-at");
      if (revokedAt == null) {
        continue;
      }
      data.forEach((key, expires) -> {
        if (key.startsWith(SERIAL) && Instant.parse(expires).isAfter(now)) {
          serials.put(new BigInteger(key.substring(SERIAL.length()), 16), Instant.parse(revokedAt));
        }
      });
    }
    return serials;
  }

  /** Revokes {@code node}: no renewal, no new join under its name, its serials in the CRL. */
  public void revoke(String node) {
    write(node, data -> data.putIfAbsent("revoked-at", clock.instant().toString()));
  }

  /** Records a certificate issued to {@code node}; its expired entries are dropped on the way. */
  void record(String node, X509Certificate certificate) {
    Instant now = clock.instant();
    write(node, data -> {
      data.entrySet().removeIf(e -> e.getKey().startsWith(SERIAL) && !Instant.parse(e.getValue()).isAfter(now));
      data.put(SERIAL + certificate.getSerialNumber().toString(16), certificate.getNotAfter().toInstant()
          .toString());
    });
  }

  private void write(String node, java.util.function.Consumer<Map<String, String>> change) {
    var resource = client.configMaps().inNamespace(namespace).withName(name(node));
    ConfigMap existing = resource.get();
    if (existing == null) {
      Map<String, String> data = new HashMap<>();
      change.accept(data);
      client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata()
          .withName(name(node)).withNamespace(namespace).addToLabels(LABEL, "true")
          .addToLabels("outpost.io/node", node).endMetadata().withData(data).build()).create();
      return;
    }
    Map<String, String> data = new HashMap<>(existing.getData() == null ? Map.of() : existing.getData());
    change.accept(data);
    existing.setData(data);
    client.configMaps().inNamespace(namespace).resource(existing)
        .lockResourceVersion(existing.getMetadata().getResourceVersion()).update();
  }
}
