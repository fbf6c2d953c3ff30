package io.outpost.bench;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The lines of an edge's {@code karaf.log} with their timestamps (the shipped pattern starts each line with
 * {@code %d{ISO8601}}, local time), to split a start into steps.
 */
final class KarafLog {
  private static final DateTimeFormatter ISO8601 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss,SSS");

  record Line(Instant at, String text) {}

  private final List<Line> lines;

  private KarafLog(List<Line> lines) {
    this.lines = lines;
  }

  /** The lines of {@code log} written at or after {@code since}. */
  static KarafLog since(String log, Instant since) {
    List<Line> lines = new ArrayList<>();
    for (String line : log.split("\n")) {
      if (line.length() < 23 || !Character.isDigit(line.charAt(0))) {
        continue; // a stack trace line
      }
      Instant at;
      try {
        at = LocalDateTime.parse(line.substring(0, 23), ISO8601).atZone(ZoneId.systemDefault()).toInstant();
      } catch (java.time.DateTimeException e) {
        continue;
      }
      if (!at.isBefore(since)) {
        lines.add(new Line(at, line));
      }
    }
    return new KarafLog(lines);
  }

  /** The first line, if any. */
  Optional<Instant> first() {
    return lines.isEmpty() ? Optional.empty() : Optional.of(lines.get(0).at());
  }

  /** When the first line containing {@code text} was written. */
  Optional<Instant> first(String text) {
    return lines.stream().filter(l -> l.text().contains(text)).map(Line::at).findFirst();
  }

  /** When the last line containing {@code text} was written. */
  Optional<Instant> last(String text) {
    return lines.stream().filter(l -> l.text().contains(text)).map(Line::at).reduce((a, b) -> b);
  }

  /** How many lines contain {@code text}. */
  long count(String text) {
    return lines.stream().filter(l -> l.text().contains(text)).count();
  }

  /** Prints the lines containing {@code text}. */
  void print(java.io.PrintStream out, String text) {
    lines.stream().filter(l -> l.text().contains(text)).forEach(l -> out.println("  " + l.text()));
  }
}
