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
}
