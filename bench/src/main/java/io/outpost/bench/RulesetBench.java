package io.outpost.bench;

import io.outpost.network.services.RulesetBenchPlan;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Service ruleset on one node: {@code services} Services x {@code endpoints} endpoints planned, rendered and applied
 * with {@code nft -f -} (one atomic transaction, as the node's Service proxy applies it) inside a network namespace of
 * its own, which it deletes at the end. Prints render time, script size, the first apply, p50/p99 of {@code rounds}
 * change sets after a one-endpoint change (what the node applies) and a few whole-table re-applies for comparison.
 * Needs root, nft and ip (scripts/setup.sh).
 */
public final class RulesetBench {
  private RulesetBench() {}

  public static void main(String[] args) throws Exception {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int endpoints = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    String ns = "outpost-bench-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1000);
    run(List.of("ip", "netns", "add", ns), null);
    try {
      List<Double> renders = new ArrayList<>();
      String script = null;
      for (int i = 5; i >= 0; i--) { // the first renders warm the JIT up; generation 0 is applied first
        long start = System.nanoTime();
        script = RulesetBenchPlan.render(services, endpoints, i);
        renders.add((System.nanoTime() - start) / 1e6);
      }
      System.out.printf("%d Services x %d endpoints: script %,d bytes, %,d lines; plan+render %.1f ms"
          + " (warm, last of 6)%n", services, endpoints, script.length(), script.lines().count(),
          renders.get(renders.size() - 1));
      long start = System.nanoTime();
      run(List.of("ip", "netns", "exec", ns, "nft", "-f", "-"), script);
      System.out.printf("first apply (empty namespace): %.1f ms%n", (System.nanoTime() - start) / 1e6);
      // What the node does on a change: only the changes (NftDelta) to the table in force.
      List<Double> deltas = new ArrayList<>();
      int deltaBytes = 0;
      for (int i = 1; i <= rounds; i++) {
        String changes = RulesetBenchPlan.delta(services, endpoints, i - 1, i);
        deltaBytes = changes.length();
        start = System.nanoTime();
        run(List.of("ip", "netns", "exec", ns, "nft", "-f", "-"), changes);
        deltas.add((System.nanoTime() - start) / 1e6);
      }
      Collections.sort(deltas);
      System.out.printf("changes applied after a one-endpoint change (%d rounds, %,d bytes of script, includes ip netns"
          + " exec + nft start): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", rounds, deltaBytes,
          Percentiles.of(deltas, 50), Percentiles.of(deltas, 99), deltas.get(deltas.size() - 1));
      // For comparison: the whole table again (what a node does at a start, or after a failed apply).
      int wholeRounds = Math.min(rounds, 5);
      List<Double> applies = new ArrayList<>();
      for (int i = rounds + 1; i <= rounds + wholeRounds; i++) {
        String changed = RulesetBenchPlan.render(services, endpoints, i);
        start = System.nanoTime();
        run(List.of("ip", "netns", "exec", ns, "nft", "-f", "-"), changed);
        applies.add((System.nanoTime() - start) / 1e6);
      }
      Collections.sort(applies);
      System.out.printf("whole table re-applied (%d rounds): p50 %.1f ms, max %.1f ms%n", wholeRounds,
          Percentiles.of(applies, 50), applies.get(applies.size() - 1));
      long rules = run(List.of("ip", "netns", "exec", ns, "nft", "list", "table", "ip", "outpost"), null).lines()
          .filter(line -> line.contains("dnat") || line.contains("vmap") || line.contains("goto")).count();
      System.out.printf("rules with dnat/vmap/goto in the applied table: %,d%n", rules);
    } finally {
      run(List.of("ip", "netns", "del", ns), null);
    }
  }


  private static String run(List<String> command, String stdin) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (stdin != null) {
      try (OutputStream in = process.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } else {
      process.getOutputStream().close();
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }
}
