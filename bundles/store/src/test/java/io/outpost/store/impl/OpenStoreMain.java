package io.outpost.store.impl;

import java.nio.file.Path;

/** Opens (and so migrates) the store in {@code args[0]} in a JVM of its own, for {@link MigrationCrashTest}. */
public final class OpenStoreMain {
  public static void main(String[] args) {
    try (XodusEdgeStore store = new XodusEdgeStore(Path.of(args[0]))) {
      System.err.println("OPENED schema " + store.schemaVersion());
    }
  }
}
