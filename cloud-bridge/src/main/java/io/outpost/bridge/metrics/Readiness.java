package io.outpost.bridge.metrics;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What {@code /readyz} answers: ready unless one of the named conditions holds; the first that holds is the reason
 * given. Thread-safe.
 */
public final class Readiness implements Supplier<Optional<String>> {
  private record Condition(String reason, BooleanSupplier holds) {}

  private final List<Condition> conditions = new CopyOnWriteArrayList<>();

  /** Not ready, for {@code reason}, while {@code holds} is true. Conditions are checked in the order added. */
  public Readiness notReadyWhile(String reason, BooleanSupplier holds) {
    conditions.add(new Condition(reason, holds));
    return this;
  }

  /** Why this bridge is not ready, or empty when it is. */
  @Override
  public Optional<String> get() {
    return conditions.stream().filter(c -> c.holds().getAsBoolean()).map(Condition::reason).findFirst();
  }
}
