package io.outpost.store.impl;

import io.outpost.metrics.MetricSource;
import io.outpost.store.SyncLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;

/**
 * The edge store as metrics: its size on disk. (Counting what it holds would decode every object on every scrape
 * and heartbeat; pods are counted by the container manager from memory.)
 */
@Component(service = MetricSource.class, configurationPid = "io.outpost.node",
    configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class StoreMetrics implements MetricSource {
  private final Path directory;

  /** Active only while the store is (it names the store's directory). */
  @Activate
  public StoreMetrics(@Reference SyncLog store, StoreConfig config) {
    this.directory = EdgeStoreComponent.resolve(config.data_dir()).resolve("store");
  }

  @Override
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("outpost_edge_store_bytes", (double) bytes(directory));
    return metrics;
  }

  /** The size of the files under {@code directory} (Xodus log files; a few, each at most 8 MB by default). */
  static long bytes(Path directory) {
    for (int attempt = 0; ; attempt++) {
      try {
        return walk(directory);
      } catch (UncheckedIOException e) { // the log cleaner removed a file while it was being listed: once more
        if (attempt == 2) {
          throw e;
        }
      }
    }
  }

  private static long walk(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      return files.filter(Files::isRegularFile).mapToLong(file -> {
        try {
          return Files.size(file);
        } catch (IOException e) {
          return 0; // removed by the log cleaner meanwhile
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot measure " + directory, e);
    }
  }
}
