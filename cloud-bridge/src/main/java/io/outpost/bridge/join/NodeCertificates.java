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
 * once revoked, {@code revoked-at}; and one ConfigMap {@code outpost-revoked-serials} with every revoked serial. A
 * revoked node can neither renew nor join again under its name until an operator deletes its ConfigMap; its serials
 * stay revoked even then (the CRL and the brokers refuse them), and only a serial recorded for the node can renew.
 * A node's record also holds the site and region ({@link #SITE}, {@link #REGION}) its last join token named: the
 * bridge labels the node with them and refuses the node's own claim of another (docs/operations.md, "Sites").
 */
public final class NodeCertificates {
  public static final String LABEL = "outpost.io/node-identity";
  static final String REVOKED_SERIALS = "outpost-revoked-serials";
  private static final String SERIAL = "serial.";
  /** The record's entry with the site the node's last join token named (none: the token named no site). */
  public static final String SITE = "site";
  /** The record's entry with the region the node's last join token named. */
  public static final String REGION = "region";

  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;

  public NodeCertificates(KubernetesClient client, String namespace, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
  }

  /** The name of the node's record (a ConfigMap in the bridge's namespace). */
  public static String recordName(String node) {
    return name(node);
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

  /** Every revoked serial that has not expired yet, with its revocation time. */
  public Map<BigInteger, Instant> revokedSerials() {
    Map<BigInteger, Instant> serials = new HashMap<>();
    Instant now = clock.instant();
    ConfigMap map = client.configMaps().inNamespace(namespace).withName(REVOKED_SERIALS).get();
    if (map != null && map.getData() != null) {
      map.getData().forEach((serial, entry) -> {
        String[] parts = entry.split("\\|");
        if (parts.length == 3 && Instant.parse(parts[1]).isAfter(now)) {
          serials.put(new BigInteger(serial, 16), Instant.parse(parts[2]));
        }
      });
    }
    return serials;
  }

  /** True if {@code certificate}'s node is revoked or the certificate itself is. */
  public boolean revoked(X509Certificate certificate) {
    String node = io.outpost.identity.Pki.commonName(certificate);
    return node == null || revoked(node) || revokedSerials().containsKey(certificate.getSerialNumber());
  }

  /** True if {@code certificate} may be renewed: issued to this node by this bridge, neither revoked. */
  public boolean renewable(String node, X509Certificate certificate) {
    ConfigMap map = client.configMaps().inNamespace(namespace).withName(name(node)).get();
    return map != null && map.getData() != null && !map.getData().containsKey("revoked-at")
        && map.getData().containsKey(SERIAL + certificate.getSerialNumber().toString(16))
        && !revokedSerials().containsKey(certificate.getSerialNumber());
  }

  /** Revokes {@code node}: no renewal, no new join under its name, its serials in the CRL for good. */
  public void revoke(String node) {
    Instant now = clock.instant();
    Map<String, String> issued = new HashMap<>();
    write(name(node), node, data -> {
      data.putIfAbsent("revoked-at", now.toString());
      data.forEach((key, expires) -> {
        if (key.startsWith(SERIAL)) {
          issued.put(key.substring(SERIAL.length()), node + "|" + expires + "|" + now);
        }
      });
    });
    write(REVOKED_SERIALS, null, data -> issued.forEach(data::putIfAbsent));
  }

  /** Records a certificate issued to {@code node} (a renewal); its expired entries are dropped on the way. */
  void record(String node, X509Certificate certificate) {
    record(node, certificate, null);
  }

  /**
   * Records a certificate issued to {@code node}; for a join ({@code token} set) also the site and region the token
   * named, replacing any earlier (a token naming none clears them: the latest join is the operator's latest word).
   */
  void record(String node, X509Certificate certificate, JoinTokens.Token token) {
    Instant now = clock.instant();
    write(name(node), node, data -> {
      if (data.containsKey("revoked-at")) { // revoked while this certificate was being made: not handed out
        throw new IllegalStateException("node " + node + " was revoked");
      }
      data.entrySet().removeIf(e -> e.getKey().startsWith(SERIAL) && !Instant.parse(e.getValue()).isAfter(now));
      data.put(SERIAL + certificate.getSerialNumber().toString(16), certificate.getNotAfter().toInstant()
          .toString());
      if (token != null) {
        placement(data, SITE, token.site());
        placement(data, REGION, token.region());
      }
    });
  }

  private static void placement(Map<String, String> data, String key, String value) {
    if (value == null) {
      data.remove(key);
    } else {
      data.put(key, value);
    }
  }

  /** Changes one ConfigMap's data (created if missing; labelled as a node record if {@code node} is set). */
  private void write(String mapName, String node, java.util.function.Consumer<Map<String, String>> change) {
    var resource = client.configMaps().inNamespace(namespace).withName(mapName);
    ConfigMap existing = resource.get();
    if (existing == null) {
      Map<String, String> data = new HashMap<>();
      change.accept(data);
      var metadata = new ConfigMapBuilder().withNewMetadata().withName(mapName).withNamespace(namespace);
      if (node != null) {
        metadata.addToLabels(LABEL, "true").addToLabels("outpost.io/node", node);
      }
      client.configMaps().inNamespace(namespace).resource(metadata.endMetadata().withData(data).build()).create();
      return;
    }
    Map<String, String> data = new HashMap<>(existing.getData() == null ? Map.of() : existing.getData());
    change.accept(data);
    existing.setData(data);
    client.configMaps().inNamespace(namespace).resource(existing)
        .lockResourceVersion(existing.getMetadata().getResourceVersion()).update();
  }
}
