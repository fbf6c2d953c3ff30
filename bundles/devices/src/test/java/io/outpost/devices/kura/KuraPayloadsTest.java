package io.outpost.devices.kura;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Kura's payload format and topic namespace, checked on the wire. */
class KuraPayloadsTest {
  @Test
  void metricsOfEveryKuraTypeRoundTripWithTheirTimestamp() {
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("temperature", 21.5d);
    metrics.put("ratio", 0.25f);
    metrics.put("uptime", 86_400_000L);
    metrics.put("register", 251);
    metrics.put("open", true);
    metrics.put("state", "heating");
    metrics.put("raw", new byte[] {1, 2, 3});
    Instant now = Instant.parse("2026-11-23T12:00:00.123Z");

    KuraPayloads.Decoded decoded = KuraPayloads.decode(KuraPayloads.encode(now, metrics));

    assertThat(decoded.timestamp()).isEqualTo(now);
    assertThat(decoded.metrics()).containsOnlyKeys(metrics.keySet()).containsEntry("temperature", 21.5d)
        .containsEntry("ratio", 0.25f).containsEntry("uptime", 86_400_000L).containsEntry("register", 251)
        .containsEntry("open", true).containsEntry("state", "heating");
    assertThat((byte[]) decoded.metrics().get("raw")).containsExactly(1, 2, 3);
  }

  @Test
  void theWireFormatIsKurasFieldNumbers() {
    byte[] bytes = KuraPayloads.encode(Instant.ofEpochMilli(1), Map.of("n", 7));
    String hex = HexFormat.of().formatHex(bytes);
    // timestamp: field 1, varint → 08 01; metric: field 5000, length-delimited → tag 40002 = c2 b8 02;
    // inside: name (1) "n" → 0a 01 6e, type (2) INT32 = 3 → 10 03, int_value (6) = 7 → 30 07.
    assertThat(hex).isEqualTo("0801" + "c2b802" + "07" + "0a016e" + "1003" + "3007"); // 07: 7 bytes inside
  }

  @Test
  void badInputIsRefusedWithAReason() {
    assertThatThrownBy(() -> KuraPayloads.encode(null, Map.of("when", Instant.now())))
        .hasMessageContaining("cannot hold a Instant");
    assertThatThrownBy(() -> KuraPayloads.decode(new byte[] {(byte) 0xff, (byte) 0xff}))
        .hasMessageContaining("not a KuraPayload");
    assertThat(KuraPayloads.dataTopic("acme", "edge-1", "outpost", "thermo-1")).isEqualTo("acme/edge-1/outpost/thermo-1");
    assertThatThrownBy(() -> KuraPayloads.dataTopic("acme", "edge/1", "outpost", "x")).hasMessageContaining("segment");
    assertThatThrownBy(() -> KuraPayloads.dataTopic("$EDC", "edge-1", "outpost", "x")).hasMessageContaining("segment");
  }
}
