package io.outpost.bench;

import io.outpost.containers.impl.WalkHarness;

/**
 * Cost of measuring a pod's emptyDir (the node's bounded usage walk) and of deleting it, on the page cache:
 * {@code bench/emptydir-walk.sh [directories] [files per directory] [rounds]} (default 100 × 1,000, 5 rounds).
 */
public final class EmptyDirWalkBench {
  private EmptyDirWalkBench() {}

  public static void main(String[] args) throws Exception {
    int directories = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int files = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    WalkHarness.run(directories, files, rounds);
  }
}
