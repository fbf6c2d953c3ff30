package io.outpost.store.impl;

import io.outpost.metrics.MetricSource;
import io.outpost.store.EdgeStore;
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

/** The edge store as metrics: its size on disk, the objects it holds, its undelivered device statuses. */
@Component(service = MetricSource.class, configurationPid = "io.outpost.node",
    configurationPolicy = ConfigurationPolicy.REQUIRE)
public final class StoreMetrics implements MetricSource {
  private final EdgeStore store;
  private final Path directory;

  @Activate
  public StoreMetrics(@Reference EdgeStore store, StoreConfig config) {
    this.store = store;
    this.directory = EdgeStoreComponent.resolve(config.data_dir()).resolve("store");
  }

  @Override
  public Map<String, Double> metrics() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("outpost_edge_store_bytes", (double) bytes(directory));
    metrics.put("outpost_edge_store_objects", (double) store.held().size());
    metrics.put("outpost_edge_store_devices", (double) store.devices().size());
    return metrics;
  }

  /** The size of the files under {@code directory} (Xodus log files; a few, each at most 8 MB by default). */
  static long bytes(Path directory) {
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
