package io.outpost.bridge.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.bridge.config.FairShares;
import io.outpost.bridge.metrics.Metrics;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The relay's shares: one node or one requesting user cannot take every session. A session beyond a share fails at
 * once with 429 and a message naming the share; the refusal is counted by reason; a closed session frees its place.
 */
class StreamRelaySharesTest {
  private final Metrics metrics = new Metrics();
  private final StreamRelay relay = new StreamRelay((topic, payload) -> true, () -> true, metrics,
      Duration.ofSeconds(10), FairShares.from(Map.of("OUTPOST_STREAMS_PER_NODE", "2", "OUTPOST_STREAMS_PER_USER",
          "3")));
  private final List<StreamEnd> ends = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    relay.close();
  }

  private StreamRelay.Session open(String node, String user) {
    return relay.open(new KubeletHandler.Target(node, "uid-1", user), StreamRequest.exec("default", "web", "uid-1",
        "app", List.of("sh"), true, true, false, false), new StreamRelay.Listener() {
          @Override
          public void data(int channel, byte[] bytes) {
          }

          @Override
          public void ended(StreamEnd end) {
            ends.add(end);
          }
        });
  }

  @Test
  void aNodeGetsAtMostItsShareOfSessions() {
    StreamRelay.Session first = open("edge-1", "alice");
    open("edge-1", "bob");
    open("edge-1", "carol");
    assertThat(ends).singleElement().satisfies(end -> {
      assertThat(end.code()).isEqualTo(429);
      assertThat(end.message()).contains("node edge-1").contains("OUTPOST_STREAMS_PER_NODE");
    });
    assertThat(relay.open()).isEqualTo(2);
    open("edge-2", "carol");
    assertThat(relay.open()).as("another node has its own share").isEqualTo(3);

    first.close();
    open("edge-1", "carol");
    assertThat(relay.open()).as("a closed session frees its node's place").isEqualTo(3);
    assertThat(metrics.get("outpost_bridge_stream_refused_total", "reason", "node_share")).isEqualTo(1);
  }

  @Test
  void aUserGetsAtMostItsShareOfSessions() {
    open("edge-1", "apiserver-a");
    open("edge-2", "apiserver-a");
    open("edge-3", "apiserver-a");
    open("edge-4", "apiserver-a");
    assertThat(ends).singleElement().satisfies(end -> {
      assertThat(end.code()).isEqualTo(429);
      assertThat(end.message()).contains("user apiserver-a").contains("OUTPOST_STREAMS_PER_USER");
    });
    open("edge-4", "apiserver-b");
    assertThat(relay.open()).as("another user has its own share").isEqualTo(4);
    assertThat(metrics.get("outpost_bridge_stream_refused_total", "reason", "user_share")).isEqualTo(1);
  }
}
