package io.outpost.sync.impl;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Labelled counters, safe for concurrent use. */
final class Counters {
  private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

  void increment(String label) {
    counters.computeIfAbsent(label, k -> new LongAdder()).increment();
  }

  long get(String label) {
    LongAdder adder = counters.get(label);
    return adder == null ? 0 : adder.sum();
  }

  Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    counters.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }
}
