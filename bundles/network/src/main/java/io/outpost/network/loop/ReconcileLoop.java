package io.outpost.network.loop;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread a network component reconciles on: requests are coalesced into one pass (after an optional debounce),
 * a pass that fails is tried again with jittered exponential back-off (a newer request runs it sooner and cancels
 * the retry), the first pass can be awaited at activation, and a last task runs at deactivation before the thread
 * ends. Everything a component keeps between passes is touched on this thread only.
 */
public final class ReconcileLoop {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);

  /** One pass; throwing means "not done": it is tried again with back-off. */
  @FunctionalInterface
  public interface Pass {
    void run() throws Exception;
  }

  private final String what;
  private final Duration debounce;
  private final Pass pass;
  private final ScheduledThreadPoolExecutor executor;
  private final AtomicBoolean queued = new AtomicBoolean();
  private final AtomicLong failures = new AtomicLong();
  /** On the loop's thread only. */
  private final Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(2));
  private ScheduledFuture<?> retry;

  /**
   * {@code threadName}: the loop's thread; {@code what}: what a pass does, for the log ("Service ruleset apply");
   * {@code debounce}: how long a request waits for others to join it (zero: none).
   */
  public ReconcileLoop(String threadName, String what, Duration debounce, Pass pass) {
    this.what = what;
    this.debounce = debounce;
    this.pass = pass;
    this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, threadName);
      thread.setDaemon(true);
      return thread;
    });
    executor.setRemoveOnCancelPolicy(true);
  }

  /**
   * Runs {@code first} and then a pass on the loop's thread and waits up to {@code wait} for both (at activation: a
   * node restarted offline has its network before pods start); past that they go on in the background.
   */
  public void start(Runnable first, Duration wait) {
    awaitQuietly(executor.submit(() -> {
      first.run();
      runPass();
    }), wait, what + ": first pass");
  }

  /** Asks for a pass; requests while one waits are merged into it. Any thread. */
  public void request() {
    if (queued.compareAndSet(false, true)) {
      try {
        if (debounce.isZero()) {
          executor.execute(this::runPass);
        } else {
          executor.schedule(this::runPass, debounce.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (RejectedExecutionException e) {
        queued.set(false);
        LOG.debug("{}: stopped; change ignored", what);
      }
    }
  }

  /** Runs {@code task} on the loop's thread (ignored once stopped). Any thread. */
  public void execute(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      LOG.debug("{}: stopped; task ignored", what);
    }
  }

  /** Runs {@code task} every {@code period} on the loop's thread; cancel the returned future to stop it. */
  public ScheduledFuture<?> every(Duration period, Runnable task) {
    return executor.scheduleWithFixedDelay(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The value of {@code task} computed on the loop's thread. */
  public <T> T call(Callable<T> task, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    return executor.submit(task).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Passes that failed since the start. */
  public long failures() {
    return failures.get();
  }

  public boolean isStopped() {
    return executor.isShutdown();
  }

  /** Cancels any retry, runs {@code last} on the loop's thread (waiting up to {@code wait}) and ends the thread. */
  public void stop(Runnable last, Duration wait) {
    if (executor.isShutdown()) {
      return;
    }
    Future<?> done = executor.submit(() -> {
      cancelRetry();
      last.run();
    });
    try {
      awaitQuietly(done, wait, what + ": stop");
    } finally {
      executor.shutdownNow();
    }
  }

  private void runPass() {
    queued.set(false);
    cancelRetry();
    try {
      pass.run();
    } catch (Exception e) {
      failures.incrementAndGet();
      Duration delay = backoff.next();
      LOG.warn("{} failed (attempt {}), retrying in {} ms: {}", what, backoff.failures(), delay.toMillis(),
          e.getMessage() == null ? e.toString() : e.getMessage());
      try {
        retry = executor.schedule(this::runPass, delay.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopped) {
        LOG.debug("{}: stopped; no retry", what);
      }
      return;
    }
    if (backoff.failures() > 0) {
      LOG.info("{} succeeded after {} failed attempts", what, backoff.failures());
    }
    backoff.reset();
  }

  private void cancelRetry() {
    if (retry != null) {
      retry.cancel(false);
      retry = null;
    }
  }

  private static void awaitQuietly(Future<?> future, Duration wait, String what) {
    try {
      future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("{} not done within {} s, it goes on in the background: {}", what, wait.toSeconds(), e.toString());
    }
  }
}
