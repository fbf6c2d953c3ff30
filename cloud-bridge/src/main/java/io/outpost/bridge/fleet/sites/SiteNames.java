package io.outpost.bridge.fleet.sites;

import java.util.regex.Pattern;

/** Site and region names: Kubernetes label values, since they are shown as the Node's topology labels. */
public final class SiteNames {
  private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  private SiteNames() {}

  /** True for a non-empty label value (at most 63 characters of letters, digits, '-', '_', '.'). */
  public static boolean valid(String name) {
    return name != null && LABEL_VALUE.matcher(name).matches();
  }

  /**
   * {@code name} trimmed, or null if it is null or blank; refused (naming {@code what}) if it is no label value.
   */
  public static String optional(String name, String what) {
    if (name == null || name.isBlank()) {
      return null;
    }
    String trimmed = name.trim();
    if (!valid(trimmed)) {
      throw new IllegalArgumentException(what + " '" + trimmed + "' is not a valid label value (at most 63"
          + " characters: letters, digits, '-', '_', '.', starting and ending with a letter or digit)");
    }
    return trimmed;
  }
}
