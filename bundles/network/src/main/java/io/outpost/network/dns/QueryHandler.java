package io.outpost.network.dns;

import io.outpost.network.dns.DnsMetrics.Outcome;
import io.outpost.network.dns.DnsMetrics.Rejection;
import io.outpost.network.dns.DnsMetrics.Source;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Turns one query (wire bytes) into its answer (wire bytes), or into nothing where answering would help an attacker.
 * {@link #local} answers what needs no upstream — cluster names from the {@link ClusterZone}, cached answers, every
 * refusal — quickly enough for the UDP receive thread; a query that needs the upstreams comes back as a
 * {@link Reply.Upstream} for {@link #upstream}, which blocks. Names of the cluster domain never go upstream; an
 * ExternalName's target outside it does (as CoreDNS resolves it). UDP answers larger than the client can take (512
 * bytes without EDNS, its EDNS size up to {@value #MAX_UDP}) are truncated with TC set.
 */
final class QueryHandler {
  /** No query is larger: a bigger datagram or TCP frame is refused. */
  static final int MAX_QUERY = 4096;
  /** Largest UDP answer, whatever EDNS size the client advertises (DNS flag day 2020). */
  static final int MAX_UDP = 1232;
  private static final int MAX_CHASE = 8;

  /** What {@link #local} decided. */
  sealed interface Reply {
    /** Send this. */
    record Done(byte[] wire) implements Reply {}

    /** Send nothing. */
    record Drop() implements Reply {}

    /**
     * Ask the upstreams; {@code cname} is an ExternalName's CNAME whose target they resolve, or null for the
     * question itself.
     */
    record Upstream(Message query, int maxSize, long started, Record cname) implements Reply {}
  }

  private static final Reply DROP = new Reply.Drop();

  private final Supplier<ClusterZone> zone;
  private final ResponseCache cache;
  private final Forwarder forwarder;
  private final DnsMetrics metrics;
  /** Questions being asked upstream now: the same question asked again meanwhile waits for that answer. */
  private final Map<ResponseCache.Key, CompletableFuture<Message>> inFlight = new ConcurrentHashMap<>();

  QueryHandler(Supplier<ClusterZone> zone, ResponseCache cache, Forwarder forwarder, DnsMetrics metrics) {
    this.zone = zone;
    this.cache = cache;
    this.forwarder = forwarder;
    this.metrics = metrics;
  }

  /** The answer to a query that needs no upstream, or what to do instead. {@code client} is for log lines. */
  Reply local(byte[] data, int length, boolean udp, Object client) {
    long started = System.nanoTime();
    if (length > MAX_QUERY) {
      metrics.rejected(Rejection.OVERSIZE, client, length + " bytes");
      metrics.outcome(Outcome.DROPPED);
      return DROP;
    }
    Message query;
    try {
      query = new Message(ByteBuffer.wrap(data, 0, length));
    } catch (IOException | RuntimeException e) {
      metrics.rejected(Rejection.MALFORMED, client, e.getMessage());
      return formerr(data, length);
    }
    Header header = query.getHeader();
    if (header.getFlag(Flags.QR)) {
      metrics.rejected(Rejection.NOT_A_QUERY, client, null);
      metrics.outcome(Outcome.DROPPED);
      return DROP;
    }
    int maxSize = udp ? udpLimit(query) : Message.MAXLENGTH;
    if (header.getOpcode() != Opcode.QUERY) {
      metrics.rejected(Rejection.OPCODE, client, Opcode.string(header.getOpcode()));
      return refuse(query, Rcode.NOTIMP, Outcome.NOTIMP, maxSize);
    }
    Record question = query.getQuestion();
    if (header.getCount(Section.QUESTION) != 1 || question == null) {
      metrics.rejected(Rejection.QUESTIONS, client, header.getCount(Section.QUESTION) + " questions");
      return refuse(query, Rcode.FORMERR, Outcome.FORMERR, maxSize);
    }
    if (question.getDClass() != DClass.IN) {
      metrics.rejected(Rejection.CLASS, client, DClass.string(question.getDClass()));
      return refuse(query, Rcode.REFUSED, Outcome.REFUSED, maxSize);
    }
    int type = question.getType();
    if (type == Type.AXFR || type == Type.IXFR) {
      metrics.rejected(Rejection.TRANSFER, client, question.getName().toString());
      return refuse(query, Rcode.REFUSED, Outcome.REFUSED, maxSize);
    }
    if (type == Type.MAILA || type == Type.MAILB) {
      return refuse(query, Rcode.NOTIMP, Outcome.NOTIMP, maxSize);
    }
    ClusterZone cluster = zone.get();
    Name name = question.getName();
    if (type == Type.ANY) {
      metrics.rejected(Rejection.ANY, client, name.toString());
      return any(query, cluster, name, maxSize, started);
    }
    if (cluster.contains(name)) {
      return cluster(query, cluster, name, type, maxSize, started);
    }
    ResponseCache.Entry cached = cache.get(key(question));
    if (cached != null) {
      Message response = response(query, cached.rcode());
      fill(response, cached, true);
      return done(response, maxSize, Outcome.CACHED, Source.CACHE, started);
    }
    return new Reply.Upstream(query, maxSize, started, null);
  }

  /** The answer with the upstreams' help (blocks up to the upstream timeouts); SERVFAIL if none answers. */
  byte[] upstream(Reply.Upstream pending) {
    Message query = pending.query();
    Record question = pending.cname() == null ? query.getQuestion()
        : Forwarder.question(((org.xbill.DNS.CNAMERecord) pending.cname()).getTarget(),
            query.getQuestion().getType(), DClass.IN);
    ResponseCache.Entry cached = pending.cname() == null ? null : cache.get(key(question));
    Message response;
    if (cached == null) {
      Message upstream;
      try {
        upstream = ask(question, query.getHeader().getFlag(Flags.CD));
      } catch (Forwarder.UpstreamFailure e) {
        return finish(response(query, Rcode.SERVFAIL), pending.maxSize(), Outcome.SERVFAIL, Source.UPSTREAM,
            pending.started());
      }
      response = response(query, upstream.getRcode());
      if (pending.cname() != null) {
        response.addRecord(pending.cname(), Section.ANSWER);
      }
      for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
        for (Record record : upstream.getSection(section)) {
          if (record.getType() != Type.OPT) {
            response.addRecord(record, section);
          }
        }
      }
    } else {
      response = response(query, cached.rcode());
      response.addRecord(pending.cname(), Section.ANSWER);
      fill(response, cached, false);
    }
    return finish(response, pending.maxSize(), Outcome.FORWARDED, Source.UPSTREAM, pending.started());
  }

  /**
   * The upstreams' answer to {@code question}, cached; while one thread asks, others with the same question wait for
   * its answer instead of asking again (a burst of pods starting with the same name costs the upstream one query).
   */
  private Message ask(Record question, boolean checkingDisabled) throws Forwarder.UpstreamFailure {
    ResponseCache.Key key = key(question);
    if (checkingDisabled) {
      return forwarder.forward(question, true);
    }
    CompletableFuture<Message> mine = new CompletableFuture<>();
    CompletableFuture<Message> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      try {
        return running.get();
      } catch (ExecutionException e) {
        throw new Forwarder.UpstreamFailure(e.getCause().getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Forwarder.UpstreamFailure("interrupted");
      }
    }
    try {
      Message answer = forwarder.forward(question, false);
      cache.put(key, answer);
      mine.complete(answer);
      return answer;
    } catch (Forwarder.UpstreamFailure | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }

  private Reply cluster(Message query, ClusterZone cluster, Name name, int type, int maxSize, long started) {
    Message response = response(query, Rcode.NOERROR);
    response.getHeader().setFlag(Flags.AA);
    ClusterZone.Answer answer = cluster.lookup(name, type);
    Name current = name;
    for (int hop = 0; hop < MAX_CHASE && type != Type.CNAME && cnameOnly(answer); hop++) {
      Record cname = answer.answer().get(0);
      response.addRecord(cname, Section.ANSWER);
      current = ((org.xbill.DNS.CNAMERecord) cname).getTarget();
      if (!cluster.contains(current)) {
        return new Reply.Upstream(query, maxSize, started, cname);
      }
      answer = cluster.lookup(current, type);
    }
    answer.answer().forEach(r -> response.addRecord(r, Section.ANSWER));
    answer.additional().forEach(r -> response.addRecord(r, Section.ADDITIONAL));
    response.getHeader().setRcode(answer.rcode());
    Outcome outcome = answer.rcode() == Rcode.NXDOMAIN ? Outcome.NXDOMAIN : Outcome.ANSWER;
    if (answer.rcode() == Rcode.NXDOMAIN || answer.nodata()) {
      response.addRecord(cluster.soa(), Section.AUTHORITY);
      outcome = answer.rcode() == Rcode.NXDOMAIN ? Outcome.NXDOMAIN
          : response.getSection(Section.ANSWER).isEmpty() ? Outcome.NODATA : Outcome.ANSWER;
    }
    return done(response, maxSize, outcome, Source.CLUSTER, started);
  }

  private static boolean cnameOnly(ClusterZone.Answer answer) {
    return answer.answer().size() == 1 && answer.answer().get(0).getType() == Type.CNAME;
  }

  /** RFC 8482: one synthesized HINFO instead of everything; nothing goes upstream. */
  private Reply any(Message query, ClusterZone cluster, Name name, int maxSize, long started) {
    if (cluster.contains(name) && cluster.lookup(name, Type.A).rcode() == Rcode.NXDOMAIN) {
      Message response = response(query, Rcode.NXDOMAIN);
      response.getHeader().setFlag(Flags.AA);
      response.addRecord(cluster.soa(), Section.AUTHORITY);
      return done(response, maxSize, Outcome.NXDOMAIN, Source.CLUSTER, started);
    }
    Message response = response(query, Rcode.NOERROR);
    response.addRecord(new HINFORecord(name, DClass.IN, cluster.ttl(), "RFC8482", ""), Section.ANSWER);
    return done(response, maxSize, Outcome.ANSWER, Source.CLUSTER, started);
  }

  private void fill(Message response, ResponseCache.Entry entry, boolean all) {
    addAged(response, entry, entry.answer(), Section.ANSWER);
    addAged(response, entry, entry.authority(), Section.AUTHORITY);
    if (all) {
      addAged(response, entry, entry.additional(), Section.ADDITIONAL);
    }
  }

  private void addAged(Message response, ResponseCache.Entry entry, List<Record> records, int section) {
    for (Record record : records) {
      response.addRecord(Record.newRecord(record.getName(), record.getType(), record.getDClass(),
          cache.remaining(entry, record), record.rdataToWireCanonical()), section);
    }
  }

  private Reply refuse(Message query, int rcode, Outcome outcome, int maxSize) {
    Message response = response(query, rcode);
    outcome(outcome);
    return new Reply.Done(wire(response, maxSize));
  }

  private Reply formerr(byte[] data, int length) {
    if (length < Header.LENGTH || (data[2] & 0x80) != 0) {
      metrics.outcome(Outcome.DROPPED); // not even a header, or a response: nothing to answer
      return DROP;
    }
    Message response = new Message(((data[0] & 0xff) << 8) | (data[1] & 0xff));
    response.getHeader().setFlag(Flags.QR);
    response.getHeader().setRcode(Rcode.FORMERR);
    metrics.outcome(Outcome.FORMERR);
    return new Reply.Done(response.toWire(512));
  }

  private Reply done(Message response, int maxSize, Outcome outcome, Source source, long started) {
    return new Reply.Done(finish(response, maxSize, outcome, source, started));
  }

  private byte[] finish(Message response, int maxSize, Outcome outcome, Source source, long started) {
    byte[] wire = wire(response, maxSize);
    outcome(outcome);
    metrics.latency(source, System.nanoTime() - started);
    return wire;
  }

  private void outcome(Outcome outcome) {
    metrics.outcome(outcome);
  }

  private byte[] wire(Message response, int maxSize) {
    byte[] wire = response.toWire(maxSize);
    if ((wire[2] & 0x02) != 0) { // TC
      metrics.truncated();
    }
    return wire;
  }

  /** A response to {@code query}: its id, opcode, RD and (one) question; RA; an OPT if the query had one. */
  private static Message response(Message query, int rcode) {
    Message response = new Message(query.getHeader().getID());
    Header header = response.getHeader();
    header.setFlag(Flags.QR);
    header.setFlag(Flags.RA);
    header.setOpcode(query.getHeader().getOpcode());
    if (query.getHeader().getFlag(Flags.RD)) {
      header.setFlag(Flags.RD);
    }
    header.setRcode(rcode);
    Record question = query.getQuestion();
    if (question != null && query.getHeader().getCount(Section.QUESTION) == 1) {
      response.addRecord(question, Section.QUESTION);
    }
    if (query.getOPT() != null) {
      response.addRecord(new OPTRecord(MAX_UDP, 0, 0), Section.ADDITIONAL);
    }
    return response;
  }

  private static int udpLimit(Message query) {
    OPTRecord opt = query.getOPT();
    return opt == null ? 512 : Math.max(512, Math.min(opt.getPayloadSize(), MAX_UDP));
  }

  static ResponseCache.Key key(Record question) {
    return new ResponseCache.Key(question.getName(), question.getType(), question.getDClass());
  }
}
