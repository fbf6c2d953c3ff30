package io.outpost.store.impl;

import io.outpost.store.Outbox;
import io.outpost.store.OutboxEntry;
import java.util.List;
import java.util.Optional;
import jetbrains.exodus.env.Environment;

/** An {@link Outbox} on the store's environment: each call one transaction; a change is announced after commit. */
final class TransactionalOutbox<T> implements Outbox<T> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TransactionalOutbox.class);

  private final String name;
  private final Environment env;
  private final OutboxLog<T> log;
  private final Runnable changed;

  TransactionalOutbox(String name, Environment env, OutboxLog<T> log, Runnable changed) {
    this.name = name;
    this.env = env;
    this.log = log;
    this.changed = changed;
  }

  @Override
  public boolean record(T report) {
    long[] dropped = new long[2];
    boolean recorded = env.computeInTransaction(txn -> {
      dropped[0] = log.dropped(txn);
      boolean result = log.record(txn, report);
      dropped[1] = log.dropped(txn);
      return result;
    });
    if (dropped[1] > dropped[0]) {
      long total = dropped[1];
      long now = total - dropped[0];
      // Logged on the first drop and every 100th after it: a long outage must not flood the log.
      if (total == now || total / 100 != (total - now) / 100) {
        LOG.warn("The {} outbox is full ({} undelivered): dropped the oldest entry; {} dropped in total", name,
            depth(), total);
      }
    }
    if (recorded) {
      changed.run();
    }
    return recorded;
  }

  @Override
  public List<OutboxEntry<T>> pending(int max) {
    return env.computeInReadonlyTransaction(txn -> log.pending(txn, max));
  }

  @Override
  public void delivered(OutboxEntry<T> entry) {
    env.executeInTransaction(txn -> log.delivered(txn, entry));
  }

  @Override
  public int depth() {
    return env.computeInReadonlyTransaction(log::depth);
  }

  @Override
  public long dropped() {
    return env.computeInReadonlyTransaction(log::dropped);
  }

  @Override
  public Optional<T> last(String key) {
    return env.computeInReadonlyTransaction(txn -> log.last(txn, key));
  }

  @Override
  public void forget(String key) {
    env.executeInTransaction(txn -> log.forget(txn, key));
  }

  @Override
  public int requeue() {
    return env.computeInTransaction(log::requeue);
  }

  @Override
  public String toString() {
    return "Outbox[" + name + "]";
  }
}
