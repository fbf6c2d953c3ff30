package io.outpost.bridge.flow;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Per-node work queues drained by named threads ({@code outpost-bridge-router-<i>}): every node is served by one
 * thread (chosen by its name's hash), so the work of one node runs in order and never concurrently, while nodes
 * spread over the threads. Informer and MQTT callbacks only enqueue here.
 */
public final class NodeQueues implements AutoCloseable {
  private final ThreadPoolExecutor[] threads;

  public NodeQueues(int count, String name) {
    threads = new ThreadPoolExecutor[count];
    for (int i = 0; i < count; i++) {
      String threadName = name + "-" + i;
      threads[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
          r -> new Thread(r, threadName));
    }
  }

  public void execute(String node, Runnable task) {
    threads[Math.floorMod(node.hashCode(), threads.length)].execute(task);
  }

  /** Tasks waiting in all queues. */
  public int depth() {
    int depth = 0;
    for (ThreadPoolExecutor thread : threads) {
      depth += thread.getQueue().size();
    }
    return depth;
  }

  @Override
  public void close() {
    for (ThreadPoolExecutor thread : threads) {
      thread.shutdownNow();
    }
    try {
      for (ThreadPoolExecutor thread : threads) {
        thread.awaitTermination(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
