package io.outpost.bridge.fleet.sites;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which site (and region) an edge node belongs to, and which of its Node's labels the bridge may write for it — the
 * decision only, from the Node's labels and annotations, the site its join token named and the site its
 * configuration claims. The first that applies names the site:
 * <ol>
 *   <li>the operator's site label already on the Node (a value of {@code OUTPOST_SITE_LABEL} the bridge did not
 *       write): {@code kubectl label} is the operator's explicit word and is never overwritten;</li>
 *   <li>the site the node's join token named: issued by the operator for exactly this node, and recorded by the
 *       bridge, so the node cannot change it;</li>
 *   <li>the site the node's configuration names ({@code site} in {@code io.outpost.node.cfg}): the node's own claim,
 *       followed when it changes (as a kubelet may set its own topology labels).</li>
 * </ol>
 * A node whose token named a site and whose configuration claims another (site or region) is refused
 * ({@code site_spoof}); a claim that is no label value is refused ({@code site_invalid}), and so is a recorded token
 * site that is none (a record edited by hand: {@code site_record_invalid}). The bridge writes the site
 * label, {@code topology.kubernetes.io/zone} (= site) and {@code topology.kubernetes.io/region} (if a region is
 * named); each only while it is absent or still holds what the bridge wrote (remembered in the annotation
 * {@link #SOURCE}), so a value an operator set is left alone. It never removes a label.
 */
public final class SitePlacement {
  public static final String ZONE = "topology.kubernetes.io/zone";
  public static final String REGION = "topology.kubernetes.io/region";
  /** What the bridge last wrote: {@code <source>:<site>[/<region>]}; label values hold neither ':' nor '/'. */
  public static final String SOURCE = "outpost.io/site-source";

  private SitePlacement() {}

  /** A site and its region (null: none). */
  public record Place(String site, String region) {}

  /** Where the site came from. */
  public enum Source {
    LABEL, TOKEN, CONFIG;

    String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * The outcome: the node's site (null: none) and its source, the labels and the {@link #SOURCE} annotation to set
   * (empty / null: nothing to write), and a refused claim's reason and message (null: none refused).
   */
  public record Decision(String site, Source source, Map<String, String> labels, String annotation, String refusal,
      String refusalMessage) {
    public boolean writes() {
      return !labels.isEmpty() || annotation != null;
    }
  }

  private record Written(Source source, String site, String region) {}

  /**
   * The decision for a Node with {@code labels} and {@code annotations} (either may be null), whose token named
   * {@code pin} (null: none) and whose configuration claims {@code claim} (null: none, or not known).
   */
  public static Decision decide(String siteLabel, Map<String, String> labels, Map<String, String> annotations,
      Place pin, Place claim) {
    labels = labels == null ? Map.of() : labels;
    String refusal = null;
    String message = null;
    if (pin != null && (!SiteNames.valid(pin.site()) || (pin.region() != null && !SiteNames.valid(pin.region())))) {
      refusal = "site_record_invalid";
      message = "its record names site '" + pin.site() + "'" + (pin.region() == null ? "" : " in region '"
          + pin.region() + "'") + ", which is no label value (edited by hand?); ignored";
      pin = null;
    }
    if (claim != null && (!SiteNames.valid(claim.site()) || (claim.region() != null
        && !SiteNames.valid(claim.region())))) {
      refusal = "site_invalid";
      message = "its configuration names site '" + claim.site() + "'" + (claim.region() == null ? ""
          : " in region '" + claim.region() + "'") + ", which is no label value";
      claim = null;
    } else if (pin != null && claim != null && (!claim.site().equals(pin.site())
        || (claim.region() != null && !claim.region().equals(pin.region())))) {
      refusal = "site_spoof";
      message = "its configuration claims site " + describe(claim) + ", but its join token named "
          + describe(pin) + ": the token's stands";
      claim = null;
    }
    Written written = parse(annotations == null ? null : annotations.get(SOURCE));
    String current = labels.get(siteLabel);
    boolean operators = current != null && !current.isEmpty() && (written == null || written.source() == Source.LABEL
        || !current.equals(written.site()));
    Source source;
    Place place;
    if (operators) {
      source = Source.LABEL;
      place = new Place(current, null);
    } else if (pin != null) {
      source = Source.TOKEN;
      place = pin;
    } else if (claim != null) {
      source = Source.CONFIG;
      place = claim;
    } else {
      return new Decision(current == null || current.isEmpty() ? null : current, null, Map.of(), null, refusal,
          message);
    }
    Map<String, String> wanted = new LinkedHashMap<>();
    wanted.put(siteLabel, place.site());
    wanted.put(ZONE, place.site());
    if (place.region() != null) {
      wanted.put(REGION, place.region());
    }
    Map<String, String> set = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : wanted.entrySet()) {
      String have = labels.get(entry.getKey());
      String ours = written == null ? null : REGION.equals(entry.getKey()) ? written.region() : written.site();
      if (!entry.getValue().equals(have) && (have == null || have.isEmpty() || have.equals(ours))) {
        set.put(entry.getKey(), entry.getValue());
      }
    }
    String annotation = source.text() + ":" + place.site() + (place.region() == null ? "" : "/" + place.region());
    boolean annotate = annotations == null || !annotation.equals(annotations.get(SOURCE));
    return new Decision(place.site(), source, set, annotate ? annotation : null, refusal, message);
  }

  private static String describe(Place place) {
    return place.site() + (place.region() == null ? "" : " (region " + place.region() + ")");
  }

  /** The bridge's annotation, or null if it is missing or not the bridge's form. */
  private static Written parse(String annotation) {
    if (annotation == null) {
      return null;
    }
    int colon = annotation.indexOf(':');
    if (colon < 0) {
      return null;
    }
    Source source;
    try {
      source = Source.valueOf(annotation.substring(0, colon).toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
    String rest = annotation.substring(colon + 1);
    int slash = rest.indexOf('/');
    return new Written(source, slash < 0 ? rest : rest.substring(0, slash), slash < 0 ? null
        : rest.substring(slash + 1));
  }
}
