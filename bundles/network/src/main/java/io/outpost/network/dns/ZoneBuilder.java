package io.outpost.network.dns;

import io.outpost.protocol.EndpointSliceV1;
import io.outpost.protocol.EndpointSliceV1.EndpointPortV1;
import io.outpost.protocol.EndpointSliceV1.EndpointV1;
import io.outpost.protocol.ServiceV1;
import io.outpost.protocol.ServiceV1.ServicePortV1;
import io.outpost.store.DesiredState;
import io.outpost.store.StoredSpec;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Makes the {@link ClusterZone} from the store's Services and EndpointSlices, as the Kubernetes DNS specification
 * and CoreDNS's kubernetes plugin name things:
 * <ul>
 *   <li>{@code <svc>.<ns>.svc.<domain>}: A/AAAA of the cluster IPs; for a headless Service, of its ready endpoints
 *       (every endpoint with {@code publishNotReadyAddresses}); CNAME to {@code externalName} for ExternalName;</li>
 *   <li>{@code <host>.<svc>.<ns>.svc.<domain>} for each endpoint of a headless Service: its hostname, or its address
 *       with dashes when it has none;</li>
 *   <li>{@code _<port>._<proto>.<svc>.<ns>.svc.<domain>} SRV for named ports: to the Service's name, or for a
 *       headless Service one per endpoint to its host name.</li>
 * </ul>
 * A Service whose names cannot be made (too long, a bad externalName) is left out and logged; the rest stands.
 */
final class ZoneBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(ZoneBuilder.class);

  private final Name domain;
  private final long ttl;
  private final Map<Name, Map<Integer, Set<Record>>> records = new HashMap<>();
  private final Set<Name> names = new HashSet<>();
  /** SRV targets per SRV name, weighted when the zone is made (100 / count, as CoreDNS). */
  private final Map<Name, List<SrvTarget>> srv = new LinkedHashMap<>();

  private record SrvTarget(int port, Name target) {}

  private ZoneBuilder(Name domain, long ttl) {
    this.domain = domain;
    this.ttl = ttl;
  }

  static ClusterZone build(DesiredState store, Name domain, long ttl, long serial) {
    ZoneBuilder builder = new ZoneBuilder(domain, ttl);
    Map<String, List<EndpointSliceV1>> slices = new HashMap<>();
    for (StoredSpec<EndpointSliceV1> slice : store.endpointSlices()) {
      slices.computeIfAbsent(slice.ref().namespace() + "/" + slice.spec().service(), k -> new ArrayList<>())
          .add(slice.spec());
    }
    builder.names.add(domain);
    builder.names.add(Name.fromConstantString("svc." + domain));
    builder.names.add(Name.fromConstantString("pod." + domain));
    for (StoredSpec<ServiceV1> service : store.services()) {
      String namespace = service.ref().namespace();
      String name = service.ref().name();
      try {
        builder.service(namespace, name, service.spec(), slices.getOrDefault(namespace + "/" + name, List.of()));
      } catch (TextParseException | NameTooLongException | IllegalArgumentException e) {
        LOG.warn("Cluster DNS leaves out Service {}/{}: {}", namespace, name, e.getMessage());
      }
    }
    return builder.zone(serial);
  }

  private void service(String namespace, String name, ServiceV1 service, List<EndpointSliceV1> slices)
      throws TextParseException, NameTooLongException {
    Name base = Name.concatenate(Name.fromString(name + "." + namespace + ".svc"), domain);
    Map<Name, Map<Integer, Set<Record>>> own = new HashMap<>();
    if ("ExternalName".equals(service.type())) {
      String target = service.externalName();
      if (target == null || target.isBlank()) {
        throw new IllegalArgumentException("ExternalName Service without externalName");
      }
      add(own, new CNAMERecord(base, DClass.IN, ttl, Name.fromString(target.endsWith(".") ? target : target + ".")));
    } else if (!service.headless()) {
      for (String ip : service.clusterIPs()) {
        address(own, base, ip);
      }
      for (ServicePortV1 port : service.ports()) {
        if (port.name() != null && !port.name().isEmpty()) {
          srvTarget(own, srvName(port.name(), port.protocolOrTcp(), base), port.port(), base);
        }
      }
    } else {
      headless(own, base, service, slices);
    }
    own.forEach((owner, byType) -> byType.forEach((type, set) ->
        records.computeIfAbsent(owner, n -> new HashMap<>()).computeIfAbsent(type, t -> new LinkedHashSet<>())
            .addAll(set)));
    for (Name existing = base; existing.labels() > domain.labels(); existing = new Name(existing, 1)) {
      names.add(existing);
    }
  }

  private void headless(Map<Name, Map<Integer, Set<Record>>> own, Name base, ServiceV1 service,
      List<EndpointSliceV1> slices) throws TextParseException, NameTooLongException {
    for (EndpointSliceV1 slice : slices) {
      if ("FQDN".equals(slice.addressType())) {
        continue;
      }
      for (EndpointV1 endpoint : slice.endpoints()) {
        if (!endpoint.isReady() && !service.publishNotReadyAddresses()) {
          continue;
        }
        for (String ip : endpoint.addresses()) {
          address(own, base, ip);
          String host = endpoint.hostname() != null && !endpoint.hostname().isEmpty() ? endpoint.hostname()
              : ip.replace('.', '-').replace(':', '-');
          Name hostName = Name.concatenate(Name.fromString(host), base);
          address(own, hostName, ip);
          for (EndpointPortV1 port : slice.ports()) {
            if (port.name() != null && !port.name().isEmpty() && port.port() != null) {
              srvTarget(own, srvName(port.name(), port.protocolOrTcp(), base), port.port(), hostName);
            }
          }
        }
      }
    }
  }

  private static Name srvName(String port, String protocol, Name base)
      throws TextParseException, NameTooLongException {
    return Name.concatenate(Name.fromString("_" + port + "._" + protocol.toLowerCase(Locale.ROOT)), base);
  }

  private void srvTarget(Map<Name, Map<Integer, Set<Record>>> own, Name owner, int port, Name target) {
    own.computeIfAbsent(owner, n -> new HashMap<>()); // the name exists; its SRV records are made in zone()
    srv.computeIfAbsent(owner, n -> new ArrayList<>()).add(new SrvTarget(port, target));
  }

  private void address(Map<Name, Map<Integer, Set<Record>>> own, Name owner, String ip) {
    InetAddress address = DnsSettings.ipLiteral(ip);
    if (address == null) {
      throw new IllegalArgumentException("'" + ip + "' is not an IP address");
    }
    add(own, address instanceof Inet4Address ? new ARecord(owner, DClass.IN, ttl, address)
        : new AAAARecord(owner, DClass.IN, ttl, address));
  }

  private static void add(Map<Name, Map<Integer, Set<Record>>> own, Record record) {
    own.computeIfAbsent(record.getName(), n -> new HashMap<>())
        .computeIfAbsent(record.getType(), t -> new LinkedHashSet<>()).add(record);
  }

  private ClusterZone zone(long serial) {
    srv.forEach((owner, targets) -> {
      Set<SrvTarget> distinct = new LinkedHashSet<>(targets);
      int weight = Math.max(1, 100 / distinct.size());
      Set<Record> set = records.computeIfAbsent(owner, n -> new HashMap<>())
          .computeIfAbsent(Type.SRV, t -> new LinkedHashSet<>());
      distinct.forEach(t -> set.add(new SRVRecord(owner, DClass.IN, ttl, 0, weight, t.port(), t.target())));
    });
    Map<Name, Map<Integer, List<Record>>> frozen = new HashMap<>();
    records.forEach((owner, byType) -> {
      Map<Integer, List<Record>> types = new HashMap<>();
      byType.forEach((type, set) -> {
        if (!set.isEmpty()) {
          types.put(type, List.copyOf(set));
        }
      });
      frozen.put(owner, Map.copyOf(types));
    });
    Set<Name> all = new HashSet<>(names);
    frozen.keySet().forEach(owner -> {
      for (Name n = owner; n.labels() > domain.labels(); n = new Name(n, 1)) {
        all.add(n);
      }
    });
    return new ClusterZone(domain, ttl, serial, Map.copyOf(frozen), Set.copyOf(all));
  }
}
