package io.outpost.network.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The cache's rules (TTL, RFC 2308 negative caching, bounds) on a clock the test moves. */
class ResponseCacheTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final ResponseCache cache = new ResponseCache(3, 2, now::get);

  private static ResponseCache.Key key(String name) {
    return new ResponseCache.Key(Name.fromConstantString(name), Type.A, DClass.IN);
  }

  private static Message answer(String name, long ttl) throws Exception {
    Message message = response(name, Rcode.NOERROR);
    message.addRecord(new ARecord(Name.fromConstantString(name), DClass.IN, ttl, InetAddress.getByName("192.0.2.1")),
        Section.ANSWER);
    return message;
  }

  private static Message negative(String name, int rcode, Long soaTtl, long minimum) {
    Message message = response(name, rcode);
    if (soaTtl != null) {
      Name zone = Name.fromConstantString("example.com.");
      message.addRecord(new SOARecord(zone, DClass.IN, soaTtl, Name.fromConstantString("ns.example.com."),
          Name.fromConstantString("admin.example.com."), 1, 3600, 600, 86400, minimum), Section.AUTHORITY);
    }
    return message;
  }

  private static Message response(String name, int rcode) {
    Message message = new Message(1);
    message.getHeader().setFlag(Flags.QR);
    message.getHeader().setRcode(rcode);
    message.addRecord(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN), Section.QUESTION);
    return message;
  }

  private void advance(long seconds) {
    now.addAndGet(seconds * 1_000_000_000L);
  }

  @Test
  void anAnswerLivesAsLongAsItsShortestTtlAndAges() throws Exception {
    cache.put(key("a.example.com."), answer("a.example.com.", 30));
    advance(10);
    ResponseCache.Entry entry = cache.get(key("a.example.com."));
    assertThat(cache.remaining(entry, entry.answer().get(0))).isEqualTo(20);
    advance(20);
    assertThat(cache.get(key("a.example.com."))).isNull();
    assertThat(cache.hits.sum()).isEqualTo(1);
    assertThat(cache.misses.sum()).isEqualTo(1);
  }

  @Test
  void ttlsAreCappedAndZeroIsNotCached() throws Exception {
    cache.put(key("long.example.com."), answer("long.example.com.", 86_400));
    cache.put(key("zero.example.com."), answer("zero.example.com.", 0));
    assertThat(cache.get(key("zero.example.com."))).isNull();
    advance(ResponseCache.MAX_TTL - 1);
    assertThat(cache.get(key("long.example.com."))).isNotNull();
    advance(1);
    assertThat(cache.get(key("long.example.com."))).isNull();
  }

  @Test
  void negativeAnswersLiveTheLowerOfTheSoasTtlAndMinimumAndNeedAnSoa() {
    cache.put(key("nx.example.com."), negative("nx.example.com.", Rcode.NXDOMAIN, 600L, 60));
    cache.put(key("nodata.example.com."), negative("nodata.example.com.", Rcode.NOERROR, 30L, 900));
    cache.put(key("bare.example.com."), negative("bare.example.com.", Rcode.NXDOMAIN, null, 0));
    cache.put(key("fail.example.com."), negative("fail.example.com.", Rcode.SERVFAIL, 600L, 600));
    assertThat(cache.get(key("bare.example.com."))).isNull();
    assertThat(cache.get(key("fail.example.com."))).isNull();
    assertThat(cache.get(key("nx.example.com.")).rcode()).isEqualTo(Rcode.NXDOMAIN);
    advance(30);
    assertThat(cache.get(key("nodata.example.com."))).isNull();
    assertThat(cache.get(key("nx.example.com."))).isNotNull();
    advance(30);
    assertThat(cache.get(key("nx.example.com."))).isNull();
  }

  @Test
  void negativeAnswersAreCappedToo() {
    cache.put(key("nx.example.com."), negative("nx.example.com.", Rcode.NXDOMAIN, 86_400L, 86_400));
    advance(ResponseCache.MAX_NEGATIVE_TTL);
    assertThat(cache.get(key("nx.example.com."))).isNull();
  }

  @Test
  void boundsAreSeparateSoAFloodOfMissingNamesKeepsTheAnswers() throws Exception {
    for (String name : new String[] {"a.example.com.", "b.example.com.", "c.example.com."}) {
      cache.put(key(name), answer(name, 300));
    }
    for (int i = 0; i < 100; i++) {
      cache.put(key("x" + i + ".example.com."), negative("x" + i + ".example.com.", Rcode.NXDOMAIN, 60L, 60));
    }
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.negativeSize()).isEqualTo(2);
    assertThat(cache.get(key("a.example.com."))).isNotNull();
    cache.put(key("d.example.com."), answer("d.example.com.", 300));
    assertThat(cache.get(key("b.example.com."))).as("least recently used goes first").isNull();
    assertThat(cache.get(key("a.example.com."))).isNotNull();
    assertThat(cache.get(key("x99.example.com."))).isNotNull();
    assertThat(cache.get(key("x0.example.com."))).isNull();
  }
}
