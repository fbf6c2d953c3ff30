package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.Objects;
import java.util.function.Consumer;

/** Informer callbacks for any change of an object, resync events (same resourceVersion) excluded. */
public final class ChangeHandler<T extends HasMetadata> implements ResourceEventHandler<T> {
  private final Consumer<T> then;

  public ChangeHandler(Consumer<T> then) {
    this.then = then;
  }

  @Override
  public void onAdd(T object) {
    then.accept(object);
  }

  @Override
  public void onUpdate(T before, T after) {
    if (!Objects.equals(before.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion())) {
      then.accept(after);
    }
  }

  @Override
  public void onDelete(T object, boolean finalStateUnknown) {
    then.accept(object);
  }

  /** Informer callbacks for deletions only. */
  public static <T extends HasMetadata> ResourceEventHandler<T> onDelete(Consumer<T> then) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {
        // only deletions count
      }

      @Override
      public void onUpdate(T before, T after) {
        // only deletions count
      }

      @Override
      public void onDelete(T object, boolean finalStateUnknown) {
        then.accept(object);
      }
    };
  }
}
