package io.outpost.bridge.ha;

/** Test access to the label that marks the active replica's pod, for tests of the bridge. */
public final class ActiveLabels {
  public static final String LABEL = ActiveLabel.LABEL;

  private ActiveLabels() {}
}
