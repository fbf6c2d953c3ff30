package io.outpost.store;

import io.outpost.protocol.ObjectRef;
import java.util.Objects;

/**
 * One entry of the {@link SyncLog}: a change of the desired state at a position of the cloud's stream. The sync
 * translates wire messages into these; the store knows nothing of the wire envelope.
 */
public sealed interface Change {

  /** The position this change moves the store to if it applies. */
  SyncPosition at();

  /** Create or replace the object {@code ref} names with {@code spec} (the record of its {@link Kind}). */
  record Put(SyncPosition at, ObjectRef ref, Object spec) implements Change {
    public Put {
      Objects.requireNonNull(at, "at");
      Kind kind = Kind.of(ref.kind());
      if (!kind.type().isInstance(spec)) {
        throw new IllegalArgumentException("a " + kind.label() + " needs a " + kind.type().getSimpleName()
            + ", got " + (spec == null ? "null" : spec.getClass().getSimpleName()));
      }
    }
  }

  /** Remove the object {@code ref} names (deferred to the end of a resync in progress). */
  record Remove(SyncPosition at, ObjectRef ref) implements Change {
    public Remove {
      Objects.requireNonNull(at, "at");
      Kind.of(ref.kind());
    }
  }

  /** A resync begins: {@code at} is the new base of the sequence, whatever the position was. */
  record ResyncBegin(SyncPosition at) implements Change {}

  /** The resync ends: removals it deferred take effect. */
  record ResyncEnd(SyncPosition at) implements Change {}
}
