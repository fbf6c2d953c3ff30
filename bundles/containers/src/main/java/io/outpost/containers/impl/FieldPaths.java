package io.outpost.containers.impl;

import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The downward API's pod fields, as the kubelet reads them. In volumes only the object's metadata
 * ({@code fieldpath.ExtractFieldPathAsString}): {@code metadata.name}, {@code namespace}, {@code uid}, {@code labels},
 * {@code annotations} (one {@code key="value"} line per entry, sorted by key, the value quoted as Go's {@code %q}
 * quotes it) and {@code metadata.labels['key']}/{@code metadata.annotations['key']}. In env also the kubelet's runtime
 * fields ({@code podFieldSelectorRuntimeValue}): {@code spec.nodeName}, {@code spec.serviceAccountName},
 * {@code status.hostIP(s)}, {@code status.podIP(s)}. Anything else is refused with a message naming the path.
 */
final class FieldPaths {
  /** A Kubernetes qualified name ({@code [prefix/]name}), the rule for label and annotation key subscripts. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  private static final Pattern PREFIX = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
      + "[a-z0-9])?)*");
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private FieldPaths() {}

  /** What a pod's addresses are while a container's environment is resolved. */
  record Addresses(String node, String podIP, String hostIP) {}

  /** A field for an env var ({@code fieldRef.fieldPath}): metadata and the kubelet's runtime fields. */
  static String env(ObjectRef ref, PodV1 pod, String fieldPath, Addresses addresses, String var)
      throws EnvResolver.ConfigError {
    return switch (fieldPath) {
      case "spec.nodeName" -> pod != null && pod.nodeName() != null ? pod.nodeName() : addresses.node();
      case "spec.serviceAccountName" -> pod == null || pod.serviceAccountName() == null ? ""
          : pod.serviceAccountName();
      // One address each: the node reports one InternalIP and its pods have one IP (no dual stack at the edge).
      case "status.hostIP", "status.hostIPs" -> addresses.hostIP() == null ? "" : addresses.hostIP();
      case "status.podIP", "status.podIPs" -> addresses.podIP() == null ? "" : addresses.podIP();
      default -> metadata(ref, pod, fieldPath, "env " + var);
    };
  }

  /** A field of the pod's metadata, as a downward-API file or env var holds it; {@code where} names the user. */
  static String metadata(ObjectRef ref, PodV1 pod, String fieldPath, String where) throws EnvResolver.ConfigError {
    Map<String, String> labels = pod == null ? Map.of() : pod.labelMap();
    Map<String, String> annotations = pod == null ? Map.of() : pod.annotationMap();
    String[] subscripted = subscripted(fieldPath);
    if (subscripted != null) {
      String key = subscripted[1];
      switch (subscripted[0]) {
        case "metadata.annotations":
          requireQualified(key.toLowerCase(java.util.Locale.ROOT), fieldPath);
          return annotations.getOrDefault(key, "");
        case "metadata.labels":
          requireQualified(key, fieldPath);
          return labels.getOrDefault(key, "");
        default:
          throw new EnvResolver.ConfigError("fieldPath \"" + fieldPath + "\" does not support subscript (in "
              + where + ")");
      }
    }
    return switch (fieldPath) {
      case "metadata.name" -> ref.name();
      case "metadata.namespace" -> ref.namespace();
      case "metadata.uid" -> ref.uid();
      case "metadata.labels" -> formatMap(labels);
      case "metadata.annotations" -> formatMap(annotations);
      default -> throw new EnvResolver.ConfigError("unsupported fieldPath \"" + fieldPath + "\" in " + where
          + " (supported: metadata.name, metadata.namespace, metadata.uid, metadata.labels, metadata.annotations, "
          + "metadata.labels['<key>'], metadata.annotations['<key>']"
          + (where.startsWith("env ") ? ", spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, "
              + "status.podIP, status.podIPs)" : ")"));
    };
  }

  /** {@code SplitMaybeSubscriptedPath}: {@code path['key']} as {path, key}; null if not subscripted. */
  static String[] subscripted(String fieldPath) {
    if (!fieldPath.endsWith("']")) {
      return null;
    }
    String trimmed = fieldPath.substring(0, fieldPath.length() - 2);
    int open = trimmed.indexOf("['");
    if (open <= 0) {
      return null;
    }
    return new String[] {trimmed.substring(0, open), trimmed.substring(open + 2)};
  }

  private static void requireQualified(String key, String fieldPath) throws EnvResolver.ConfigError {
    int slash = key.lastIndexOf('/');
    String name = slash < 0 ? key : key.substring(slash + 1);
    String prefix = slash < 0 ? null : key.substring(0, slash);
    boolean valid = name.length() <= 63 && NAME.matcher(name).matches()
        && (prefix == null || prefix.length() <= 253 && PREFIX.matcher(prefix).matches());
    if (!valid) {
      throw new EnvResolver.ConfigError("invalid key subscript in " + fieldPath + ": must be a qualified name");
    }
  }

  /** The kubelet's {@code fieldpath.FormatMap}: {@code key="value"} lines sorted by key, no newline at the end. */
  static String formatMap(Map<String, String> map) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> entry : new TreeMap<>(map).entrySet()) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append(entry.getKey()).append('=').append(quote(entry.getValue()));
    }
    return out.toString();
  }

  /**
   * Go's {@code strconv.Quote} ({@code %q}): double quotes, backslash escapes for {@code "} and {@code \}, {@code \n}
   * and the other C escapes, {@code \xNN}/{@code \\uNNNN}/{@code \UNNNNNNNN} for what is not printable; printable
   * characters (letters, marks, numbers, punctuation, symbols, the ASCII space) as they are.
   */
  static String quote(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); ) {
      int c = value.codePointAt(i);
      i += Character.charCount(c);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case 0x07 -> out.append("\\a");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case 0x0b -> out.append("\\v");
        default -> {
          if (printable(c)) {
            out.appendCodePoint(c);
          } else if (Character.isSurrogate((char) c)) {
            out.append("\\ufffd"); // a lone surrogate: Go would see invalid UTF-8 and write the replacement
          } else if (c < ' ' || c == 0x7f) {
            out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
          } else if (c < 0x10000) {
            out.append(String.format("\\u%04x", c));
          } else {
            out.append(String.format("\\U%08x", c));
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** Go's {@code unicode.IsPrint}: categories L, M, N, P, S and the ASCII space. */
  private static boolean printable(int c) {
    if (c == ' ') {
      return true;
    }
    return switch (Character.getType(c)) {
      case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.NON_SPACING_MARK, Character.ENCLOSING_MARK,
          Character.COMBINING_SPACING_MARK, Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER,
          Character.OTHER_NUMBER, Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION,
          Character.START_PUNCTUATION, Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
          Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL,
          Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
      default -> false;
    };
  }
}
