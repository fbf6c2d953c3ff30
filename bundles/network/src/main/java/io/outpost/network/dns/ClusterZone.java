package io.outpost.network.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Type;

/**
 * The cluster domain as the store describes it at one moment, immutable: the records of every name
 * ({@link ZoneBuilder} makes them from the Services and EndpointSlices), the names that exist without records of
 * their own (namespaces, {@code svc}, {@code pod}), and the pod names {@code <a-b-c-d>.<ns>.pod.<domain>}, which are
 * answered from the name itself as CoreDNS's {@code pods insecure} does. Answers a question about a name of the
 * domain; never looks anything up elsewhere.
 */
final class ClusterZone {
  /** What the zone says about a question: rcode, answer records and additional records (SRV targets). */
  record Answer(int rcode, List<Record> answer, List<Record> additional) {
    boolean nodata() {
      return rcode == Rcode.NOERROR && answer.isEmpty();
    }
  }

  private final Name domain;
  private final long ttl;
  private final Map<Name, Map<Integer, List<Record>>> records;
  private final Set<Name> names;
  private final SOARecord soa;

  ClusterZone(Name domain, long ttl, long serial, Map<Name, Map<Integer, List<Record>>> records, Set<Name> names) {
    this.domain = domain;
    this.ttl = ttl;
    this.records = records;
    this.names = names;
    Name ns = Name.fromConstantString("ns.dns." + domain);
    Name admin = Name.fromConstantString("hostmaster." + domain);
    // As CoreDNS's kubernetes plugin: refresh 7200, retry 1800, expire 86400; negative answers live one TTL.
    this.soa = new SOARecord(domain, DClass.IN, ttl, ns, admin, serial, 7200, 1800, 86_400, ttl);
  }

  static ClusterZone empty(Name domain, long ttl) {
    return new ClusterZone(domain, ttl, 0, Map.of(), Set.of(domain));
  }

  Name domain() {
    return domain;
  }

  long ttl() {
    return ttl;
  }

  /** The SOA that goes into the authority section of negative answers. */
  SOARecord soa() {
    return soa;
  }

  boolean contains(Name name) {
    return name.subdomain(domain);
  }

  /** Names with records (for tests and metrics). */
  int size() {
    return records.size();
  }

  /**
   * The answer to {@code type} at {@code name} (a name of the domain): its records; a CNAME (ExternalName) for any
   * other type, which the caller chases; NODATA where the name exists without that type; NXDOMAIN otherwise.
   */
  Answer lookup(Name name, int type) {
    if (name.equals(domain)) {
      return type == Type.SOA ? new Answer(Rcode.NOERROR, List.of(soa), List.of()) : nodata();
    }
    Map<Integer, List<Record>> byType = records.get(name);
    if (byType == null) {
      return pod(name, type);
    }
    List<Record> answer = byType.get(type);
    if (answer == null && byType.containsKey(Type.CNAME)) {
      answer = byType.get(Type.CNAME);
    }
    if (answer == null) {
      return nodata();
    }
    List<Record> additional = new ArrayList<>();
    if (type == Type.SRV) {
      for (Record record : answer) {
        Map<Integer, List<Record>> target = records.get(((SRVRecord) record).getTarget());
        if (target != null) {
          additional.addAll(target.getOrDefault(Type.A, List.of()));
          additional.addAll(target.getOrDefault(Type.AAAA, List.of()));
        }
      }
    }
    return new Answer(Rcode.NOERROR, answer, additional);
  }

  /** The CNAME target of {@code name} if it is an ExternalName Service's name. */
  Name cnameTarget(Name name) {
    Map<Integer, List<Record>> byType = records.get(name);
    List<Record> cname = byType == null ? null : byType.get(Type.CNAME);
    return cname == null ? null : ((CNAMERecord) cname.get(0)).getTarget();
  }

  /** {@code <ip-with-dashes>.<namespace>.pod.<domain>}: A or AAAA from the name; any namespace. */
  private Answer pod(Name name, int type) {
    int relative = name.labels() - domain.labels();
    if (relative == 3 && "pod".equalsIgnoreCase(name.getLabelString(2))) {
      InetAddress address = podAddress(name.getLabelString(0));
      if (address != null) {
        if (type == Type.A && address instanceof Inet4Address) {
          return new Answer(Rcode.NOERROR, List.of(new ARecord(name, DClass.IN, ttl, address)), List.of());
        }
        if (type == Type.AAAA && address instanceof Inet6Address) {
          return new Answer(Rcode.NOERROR, List.of(new AAAARecord(name, DClass.IN, ttl, address)), List.of());
        }
        return nodata();
      }
      return nxdomain();
    }
    if (relative == 2 && "pod".equalsIgnoreCase(name.getLabelString(1))) {
      return nodata(); // <namespace>.pod.<domain>: any namespace
    }
    return names.contains(name) ? nodata() : nxdomain();
  }

  /** {@code 10-1-2-3} → 10.1.2.3, {@code fd00--1} → fd00::1 (CoreDNS's form); null if the label is neither. */
  static InetAddress podAddress(String label) {
    String[] parts = label.split("-", -1);
    if (parts.length == 4 && label.matches("[0-9-]+")) {
      return DnsSettings.ipLiteral(label.replace('-', '.'));
    }
    if (label.matches("[0-9a-fA-F-]+") && label.length() <= 39 && parts.length > 2) {
      InetAddress address = DnsSettings.ipLiteral(label.replace('-', ':'));
      return address instanceof Inet6Address ? address : null;
    }
    return null;
  }

  private static Answer nodata() {
    return new Answer(Rcode.NOERROR, List.of(), List.of());
  }

  private static Answer nxdomain() {
    return new Answer(Rcode.NXDOMAIN, List.of(), List.of());
  }
}
