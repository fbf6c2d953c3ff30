package io.outpost.bridge.rollout;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rollout controller's work queue: rollout names, not events (a name queued twice is worked once; one added while
 * it is worked on is worked again after), one named thread (a rollout is never reconciled twice at once, and all
 * rollouts' node assignments are serialised), and a name whose work failed added again after an exponential backoff
 * with jitter (from {@code base}, doubling, at most {@code max}), forgotten on its next success.
 */
final class RolloutQueue implements AutoCloseable {
  /** The work for one name; throwing means: try again later. */
  interface Work {
    void run(String name) throws Exception;
  }

  private static final Logger LOG = LoggerFactory.getLogger(RolloutQueue.class);

  private final Work work;
  private final BiConsumer<String, Exception> done;
  private final Duration base;
  private final Duration max;
  private final ScheduledExecutorService thread;
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();

  /** {@code done} hears of each name worked on, with the failure (logged already) or null. */
  RolloutQueue(String threadName, Work work, BiConsumer<String, Exception> done, Duration base, Duration max) {
    this.work = work;
    this.done = done;
    this.base = base;
    this.max = max;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
  }

  /** Queues the name unless it is queued already. Any thread; never blocks. */
  void add(String name) {
    if (queued.add(name)) {
      try {
        thread.execute(() -> run(name));
      } catch (RejectedExecutionException e) {
        queued.remove(name); // closed
      }
    }
  }

  int depth() {
    return queued.size();
  }

  int retrying() {
    return failures.size();
  }

  private void run(String name) {
    queued.remove(name); // from here, an add queues it again
    try {
      work.run(name);
      failures.remove(name);
      done.accept(name, null);
    } catch (Exception e) { // one rollout's failure must not stop the queue for the others
      int attempt = failures.merge(name, 1, Integer::sum);
      long nanos = base.toNanos() << Math.min(attempt - 1, 30);
      nanos = nanos <= 0 || nanos > max.toNanos() ? max.toNanos() : nanos;
      long delay = nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1);
      LOG.warn("Reconciling GatewayRollout {} failed (attempt {}, again in {} ms): {}", name, attempt,
          TimeUnit.NANOSECONDS.toMillis(delay), e.toString());
      done.accept(name, e);
      try {
        thread.schedule(() -> add(name), delay, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closed) {
        // closed
      }
    }
  }

  /** Stops the thread; queued work is dropped (the next active replica starts from the caches). Idempotent. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
