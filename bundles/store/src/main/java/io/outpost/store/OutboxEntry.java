package io.outpost.store;

/**
 * A report waiting in an {@link Outbox}: {@code key} names its place (an object's uid in a status outbox, the
 * sequence number in the event outbox), {@code version} changes whenever the report there does.
 */
public record OutboxEntry<T>(String key, long version, T report) {

  /** Names this entry and its version, e.g. to track it in flight. */
  public String id() {
    return key + "@" + version;
  }
}
