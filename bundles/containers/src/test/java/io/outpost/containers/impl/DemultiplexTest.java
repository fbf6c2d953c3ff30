package io.outpost.containers.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.outpost.containers.PodStreams;
import io.outpost.protocol.stream.StreamEnd;
import io.outpost.protocol.stream.StreamFrame;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's multiplexed log and exec streams, as {@link EngineStreams} passes them on. */
class DemultiplexTest {
  /** Every write: its channel and bytes. */
  private final List<Write> writes = new ArrayList<>();
  private final PodStreams.StreamOutput output = new PodStreams.StreamOutput() {
    @Override
    public void write(int channel, byte[] data, int offset, int length) {
      writes.add(new Write(channel, new String(data, offset, length, StandardCharsets.UTF_8)));
    }

    @Override
    public void end(StreamEnd end) {
      throw new AssertionError("demultiplex does not end the stream");
    }
  };

  private record Write(int channel, String text) {}

  private static void frame(ByteArrayOutputStream out, int stream, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.write(stream);
    out.writeBytes(new byte[] {0, 0, 0, (byte) (bytes.length >>> 24), (byte) (bytes.length >>> 16),
        (byte) (bytes.length >>> 8), (byte) bytes.length});
    out.writeBytes(bytes);
  }

  private String text(int channel) {
    StringBuilder text = new StringBuilder();
    writes.stream().filter(w -> w.channel == channel).forEach(w -> text.append(w.text));
    return text.toString();
  }

  @Test
  void linesAtHandLeaveTogetherInFullFrames() throws IOException {
    ByteArrayOutputStream engine = new ByteArrayOutputStream();
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      String line = "log line " + i + " of a busy container\n";
      frame(engine, 1, line);
      expected.append(line);
    }
    EngineStreams.demultiplex(new ByteArrayInputStream(engine.toByteArray()), output, true, Long.MAX_VALUE);
    assertThat(text(StreamFrame.OUT)).isEqualTo(expected.toString());
    assertThat(writes).as("one write per engine frame would be one MQTT message per log line")
        .hasSize((expected.length() + StreamFrame.MAX_DATA - 1) / StreamFrame.MAX_DATA);
    assertThat(writes).allSatisfy(w -> assertThat(w.text.length()).isLessThanOrEqualTo(StreamFrame.MAX_DATA));
  }

  @Test
  void aQuietStreamPassesEachLineOnWithoutWaitingForMore() throws IOException {
    ByteArrayOutputStream engine = new ByteArrayOutputStream();
    frame(engine, 1, "first\n");
    frame(engine, 1, "second\n");
    byte[] bytes = engine.toByteArray();
    // Nothing more is at hand after each frame, as when a container logs a line now and then.
    InputStream trickle = new ByteArrayInputStream(bytes) {
      @Override
      public synchronized int available() {
        return pos == 14 || pos == bytes.length ? 0 : super.available();
      }
    };
    EngineStreams.demultiplex(trickle, output, true, Long.MAX_VALUE);
    assertThat(writes).containsExactly(new Write(StreamFrame.OUT, "first\n"), new Write(StreamFrame.OUT, "second\n"));
  }

  @Test
  void stdoutAndStderrStaySeparateAndInOrderUnlessMerged() throws IOException {
    ByteArrayOutputStream engine = new ByteArrayOutputStream();
    frame(engine, 1, "out 1\n");
    frame(engine, 1, "out 2\n");
    frame(engine, 2, "err 1\n");
    frame(engine, 1, "out 3\n");
    EngineStreams.demultiplex(new ByteArrayInputStream(engine.toByteArray()), output, false, Long.MAX_VALUE);
    assertThat(writes).containsExactly(new Write(StreamFrame.OUT, "out 1\nout 2\n"),
        new Write(StreamFrame.ERR, "err 1\n"), new Write(StreamFrame.OUT, "out 3\n"));

    writes.clear();
    EngineStreams.demultiplex(new ByteArrayInputStream(engine.toByteArray()), output, true, Long.MAX_VALUE);
    assertThat(writes).containsExactly(new Write(StreamFrame.OUT, "out 1\nout 2\nerr 1\nout 3\n"));
  }

  @Test
  void limitBytesCutsTheStreamExactly() throws IOException {
    ByteArrayOutputStream engine = new ByteArrayOutputStream();
    frame(engine, 1, "0123456789\n");
    frame(engine, 2, "abcdefghij\n");
    EngineStreams.demultiplex(new ByteArrayInputStream(engine.toByteArray()), output, true, 15);
    assertThat(text(StreamFrame.OUT)).isEqualTo("0123456789\nabcd");
  }
}
