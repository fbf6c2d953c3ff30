package io.outpost.rollout;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * What a rollout delivers to a node: an artifact ({@code type} {@value #BUNDLE}: an OSGi bundle jar, or
 * {@value #FEATURE}: a Karaf features repository XML) named {@code name} at {@code version}, {@code size} bytes whose
 * SHA-256 is {@code sha256} (64 lower-case hex digits), signed by the key {@code keyId} ({@code signature}: Ed25519
 * over {@link #signedBytes()}, base64). Everything the node decides on is inside the signature: a changed name,
 * version, type, size or digest makes the signature fail.
 */
public record ArtifactManifest(String type, String name, String version, long size, String sha256, String keyId,
    String signature) {

  public static final String BUNDLE = "bundle";
  public static final String FEATURE = "feature";
  /** The largest artifact a node accepts (a bundle or features XML; the biggest Outpost bundle is a few MB). */
  public static final long MAX_SIZE = 64L * 1024 * 1024;
  /** Versions of the signed text: a node refuses a manifest signed in a format it does not know. */
  static final String FORMAT = "outpost-artifact-v1";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z._+-]{0,63}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern KEY_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{1,1024}={0,2}");

  /** The manifest without its signature, as the operator's signing tool starts from it. */
  public static ArtifactManifest unsigned(String type, String name, String version, long size, String sha256,
      String keyId) {
    return new ArtifactManifest(type, name, version, size, sha256, keyId, null);
  }

  /**
   * Reads a manifest as the signing tool prints it: an {@code artifact:} line, then {@code key: value} lines (values
   * optionally in double quotes) for type, name, version, size, sha256, keyId and signature. Unknown or repeated keys
   * and missing ones are errors; the fields are validated.
   */
  public static ArtifactManifest parse(String text) {
    java.util.Map<String, String> fields = new java.util.HashMap<>();
    java.util.Set<String> known = java.util.Set.of("type", "name", "version", "size", "sha256", "keyId", "signature");
    boolean header = false;
    for (String raw : text.split("\n", 64)) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (!header) {
        if (!line.equals("artifact:")) {
          throw new IllegalArgumentException("a manifest starts with 'artifact:', not " + abbreviate(line));
        }
        header = true;
        continue;
      }
      int colon = line.indexOf(": ");
      String key = colon < 0 ? line : line.substring(0, colon);
      if (colon < 0 || !known.contains(key)) {
        throw new IllegalArgumentException("manifest line not understood: " + abbreviate(line));
      }
      String value = line.substring(colon + 2).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (fields.put(key, value) != null) {
        throw new IllegalArgumentException("manifest key " + key + " given twice");
      }
    }
    for (String key : known) {
      if (!fields.containsKey(key)) {
        throw new IllegalArgumentException("manifest has no " + key);
      }
    }
    long size;
    try {
      size = Long.parseLong(fields.get("size"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("manifest size is not a number: " + abbreviate(fields.get("size")));
    }
    ArtifactManifest manifest = new ArtifactManifest(fields.get("type"), fields.get("name"), fields.get("version"),
        size, fields.get("sha256"), fields.get("keyId"), fields.get("signature"));
    manifest.validate();
    return manifest;
  }

  private static String abbreviate(String text) {
    return text.length() > 80 ? text.substring(0, 80) + "…" : text;
  }

  /** The same manifest carrying {@code signature}. */
  public ArtifactManifest withSignature(String signature) {
    return new ArtifactManifest(type, name, version, size, sha256, keyId, signature);
  }

  /**
   * The exact bytes the signature covers: the format, then each field on its own line. Fields are checked first
   * ({@link #validate()}), so none can contain a line break and shift another.
   */
  public byte[] signedBytes() {
    validateFields();
    return String.join("\n", FORMAT, type, name, version, Long.toString(size), sha256, keyId)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Checks every field's syntax and bounds, the signature's included; throws with the first thing wrong. */
  public void validate() {
    validateFields();
    if (signature == null || !BASE64.matcher(signature).matches()) {
      throw new IllegalArgumentException("artifact " + name + ": signature missing or not base64");
    }
  }

  private void validateFields() {
    if (!BUNDLE.equals(type) && !FEATURE.equals(type)) {
      throw new IllegalArgumentException("artifact type must be " + BUNDLE + " or " + FEATURE + ", not " + type);
    }
    require(name, NAME, "name");
    require(version, VERSION, "version");
    require(sha256, SHA256, "sha256 (64 lower-case hex digits)");
    require(keyId, KEY_ID, "keyId");
    if (size <= 0 || size > MAX_SIZE) {
      throw new IllegalArgumentException("artifact " + name + ": size " + size + " not in 1.." + MAX_SIZE);
    }
  }

  /** Whether {@code id} is a well-formed key id (lower-case letters, digits and dashes, at most 63). */
  public static boolean isKeyId(String id) {
    return id != null && KEY_ID.matcher(id).matches();
  }

  private static void require(String value, Pattern pattern, String what) {
    if (value == null || !pattern.matcher(value).matches()) {
      throw new IllegalArgumentException("artifact " + what + " invalid: " + (value == null ? "missing"
          : value.length() > 80 ? value.substring(0, 80) + "…" : value));
    }
  }
}
