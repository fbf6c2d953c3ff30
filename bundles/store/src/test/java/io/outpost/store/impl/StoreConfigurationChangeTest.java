package io.outpost.store.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.annotation.Annotation;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration change never reopens the store: a change of another component's key (the broker) leaves it as it
 * is with nothing pending, and a change of its own keys is only reported as pending until the store's next start —
 * the open store keeps serving, from where it was opened.
 */
class StoreConfigurationChangeTest {
  @TempDir Path dir;

  @Test
  void theStoreStaysOpenAndItsOwnChangesWaitForTheNextStart() throws Exception {
    EdgeStoreComponent store = new EdgeStoreComponent(config(dir.resolve("a").toString(), 1000));
    try {
      long before = store.store().position().seq();
      assertThat(store.pending(config(dir.resolve("a").toString(), 1000))).as("only the broker changed").isEmpty();
      assertThat(store.pending(config(dir.resolve("b").toString(), 50))).containsExactly("data.dir", "events.max");
      assertThat(store.store().position().seq()).as("still open, where it was").isEqualTo(before);
      assertThat(dir.resolve("b")).as("not opened at the new data.dir").doesNotExist();
    } finally {
      store.deactivate();
    }
  }

  private static StoreConfig config(String dataDir, int eventsMax) {
    return new StoreConfig() {
      @Override
      public Class<? extends Annotation> annotationType() {
        return StoreConfig.class;
      }

      @Override
      public String data_dir() {
        return dataDir;
      }

      @Override
      public int events_max() {
        return eventsMax;
      }
    };
  }
}
