package io.outpost.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus text format 0.0.4, for tests (no Java parser of the format is on Maven Central): every
 * line is a {@code # HELP}, a {@code # TYPE} or a sample; a sample's family must have been typed before it, once;
 * label names are Prometheus identifiers, values quoted with the format's escapes, no label twice; the value a Go
 * float, the timestamp (optional) integer milliseconds. Anything else fails the parse, naming the line.
 */
public final class PrometheusText {
  /** One sample: name, labels, value and timestamp in ms (null if the line carried none). */
  public record Sample(String name, Map<String, String> labels, double value, Long timestampMs) {}

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\"\\\\n])*)\"");
  private static final Pattern VALUE = Pattern.compile("[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?|[-+]?Inf|NaN");

  private PrometheusText() {}

  public static List<Sample> parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the text does not end with a newline");
    }
    Map<String, String> types = new HashMap<>();
    List<Sample> samples = new ArrayList<>();
    int number = 0;
    for (String line : text.split("\n", -1)) {
      number++;
      if (line.isEmpty()) {
        continue;
      }
      try {
        if (line.startsWith("# TYPE ")) {
          String[] parts = line.substring(7).split(" ");
          if (parts.length != 2 || !NAME.matcher(parts[0]).matches()
              || !List.of("counter", "gauge", "histogram", "summary", "untyped").contains(parts[1])) {
            throw new IllegalArgumentException("bad TYPE line");
          }
          if (types.put(parts[0], parts[1]) != null) {
            throw new IllegalArgumentException("second TYPE line for " + parts[0]);
          }
        } else if (line.startsWith("# HELP ")) {
          String name = line.substring(7).split(" ", 2)[0];
          if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad HELP line");
          }
        } else if (line.startsWith("#")) {
          continue; // a comment
        } else {
          Sample sample = sample(line);
          if (!types.containsKey(sample.name())) {
            throw new IllegalArgumentException("sample of " + sample.name() + " before its TYPE line");
          }
          samples.add(sample);
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + number + " '" + line + "': " + e.getMessage(), e);
      }
    }
    return samples;
  }

  private static Sample sample(String line) {
    Matcher name = NAME.matcher(line);
    if (!name.lookingAt()) {
      throw new IllegalArgumentException("no metric name");
    }
    int at = name.end();
    Map<String, String> labels = new LinkedHashMap<>();
    if (at < line.length() && line.charAt(at) == '{') {
      at++;
      while (line.charAt(at) != '}') {
        Matcher label = LABEL.matcher(line).region(at, line.length());
        if (!label.lookingAt()) {
          throw new IllegalArgumentException("bad label at column " + at);
        }
        if (labels.put(label.group(1), label.group(2).replace("\\n", "\n").replace("\\\"", "\"")
            .replace("\\\\", "\\")) != null) {
          throw new IllegalArgumentException("label " + label.group(1) + " twice");
        }
        at = label.end();
        if (line.charAt(at) == ',') {
          at++;
        } else if (line.charAt(at) != '}') {
          throw new IllegalArgumentException("expected , or } at column " + at);
        }
      }
      at++;
    }
    String[] rest = line.substring(at).split(" ", -1);
    if (rest.length < 2 || rest.length > 3 || !rest[0].isEmpty()) {
      throw new IllegalArgumentException("expected ' <value> [<timestamp>]'");
    }
    if (!VALUE.matcher(rest[1]).matches()) {
      throw new IllegalArgumentException("bad value " + rest[1]);
    }
    double value = rest[1].endsWith("Inf") ? (rest[1].startsWith("-") ? Double.NEGATIVE_INFINITY
        : Double.POSITIVE_INFINITY) : Double.parseDouble(rest[1]);
    Long timestamp = null;
    if (rest.length == 3) {
      if (!rest[2].matches("-?\\d{1,19}")) {
        throw new IllegalArgumentException("bad timestamp " + rest[2]);
      }
      timestamp = Long.parseLong(rest[2]);
    }
    return new Sample(name.group(), labels, value, timestamp);
  }
}
