package io.outpost.bridge.flow;

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
 * A controller's work queue (the SiteWorkload and GatewayRollout controllers'), as client-go's rate-limited queue: keys, not events (a key queued twice is worked
 * once; a key added while it is worked on is worked again after); one named thread, so one key is never worked on
 * twice at once; all keys together limited by a token bucket; a key whose work failed is added again after an
 * exponential backoff with jitter (from {@code base}, doubling, at most {@code max}), forgotten on its next success.
 */
public final class WorkQueue implements AutoCloseable {
  /** The work for one key; throwing means: try again later. */
  public interface Work {
    void run(String key) throws Exception;
  }

  private static final Logger LOG = LoggerFactory.getLogger(WorkQueue.class);

  private final Work work;
  private final BiConsumer<String, Exception> done;
  private final TokenBucket bucket;
  private final double perSecond;
  private final Duration base;
  private final Duration max;
  private final ScheduledExecutorService thread;
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();

  /** {@code done} hears of each key worked on, with the failure (logged already) or null, e.g. to count them. */
  public WorkQueue(String name, Work work, BiConsumer<String, Exception> done, double perSecond, int burst, Duration base,
      Duration max) {
    this.work = work;
    this.done = done;
    this.bucket = new TokenBucket(perSecond, burst, System::nanoTime);
    this.perSecond = perSecond;
    this.base = base;
    this.max = max;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Queues the key unless it is queued already. Any thread; never blocks. */
  public void add(String key) {
    if (queued.add(key)) {
      try {
        thread.execute(() -> run(key));
      } catch (RejectedExecutionException e) {
        queued.remove(key); // closed
      }
    }
  }

  /** The keys queued and not yet worked on. */
  public int depth() {
    return queued.size();
  }

  /** Keys whose last work failed and that wait for their backoff. */
  public int retrying() {
    return failures.size();
  }

  private void run(String key) {
    if (!bucket.tryAcquire()) {
      schedule(() -> run(key), jitter((long) (1_000_000_000L / perSecond)));
      return;
    }
    queued.remove(key); // from here, an add queues it again
    try {
      work.run(key);
      failures.remove(key);
      done.accept(key, null);
    } catch (Exception e) { // one key's failure must not stop the queue for the others
      int attempt = failures.merge(key, 1, Integer::sum);
      long delay = jitter(backoff(attempt));
      LOG.warn("Reconciling {} failed (attempt {}, again in {} ms): {}", key, attempt,
          TimeUnit.NANOSECONDS.toMillis(delay), e.toString());
      done.accept(key, e);
      schedule(() -> add(key), delay);
    }
  }

  private long backoff(int attempt) {
    long nanos = base.toNanos() << Math.min(attempt - 1, 30);
    return nanos <= 0 || nanos > max.toNanos() ? max.toNanos() : nanos;
  }

  /** Between half and all of {@code nanos}, at random. */
  private static long jitter(long nanos) {
    return nanos / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, nanos / 2 + 1));
  }

  private void schedule(Runnable task, long nanos) {
    try {
      thread.schedule(task, nanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed
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
