package io.outpost.store.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.outpost.protocol.ObjectRef;
import io.outpost.store.Kind;
import java.io.IOException;
import java.util.Arrays;

/**
 * The store's own on-disk encoding (schema {@value Schema#CURRENT}): every value starts with a two-byte header,
 * {@code 'S'} and the schema version that wrote it, followed by JSON in the store's layout. An object is
 * {@code {"kind","namespace","name","uid","resourceVersion","hash","spec"}} — no wire envelope (no protocol version,
 * epoch, sequence or operation) — and a report in an outbox is the report record itself. Not the wire codec: its
 * layout, header and versioning are the store's, and a change of the wire format reaches the disk only through a
 * schema version and a {@link Migration}. Thread-safe.
 */
final class StoreCodec {
  static final byte MAGIC = 'S';

  private final ObjectMapper mapper = JsonMapper.builder()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
      .serializationInclusion(JsonInclude.Include.NON_NULL)
      .build();

  /** A desired object as the store keeps it. */
  record StoredObject(ObjectRef ref, Object spec) {}

  byte[] encodeObject(ObjectRef ref, Object spec) {
    ObjectNode node = mapper.createObjectNode();
    node.put("kind", ref.kind());
    if (ref.namespace() != null) {
      node.put("namespace", ref.namespace());
    }
    node.put("name", ref.name());
    node.put("uid", ref.uid());
    node.put("resourceVersion", ref.resourceVersion());
    if (ref.hash() != null) {
      node.put("hash", ref.hash());
    }
    node.set("spec", mapper.valueToTree(spec));
    return frame(node);
  }

  StoredObject decodeObject(byte[] stored) {
    JsonNode node = tree(stored, "object");
    ObjectRef ref = new ObjectRef(text(node, "kind"), text(node, "namespace"), text(node, "name"),
        text(node, "uid"), text(node, "resourceVersion"), text(node, "hash"));
    try {
      return new StoredObject(ref, mapper.treeToValue(node.get("spec"), Kind.of(ref.kind()).type()));
    } catch (IOException | RuntimeException e) {
      throw damaged("object " + ref.key(), e);
    }
  }

  byte[] encode(Object report) {
    return frame(mapper.valueToTree(report));
  }

  <T> T decode(byte[] stored, Class<T> type) {
    try {
      return mapper.treeToValue(tree(stored, type.getSimpleName()), type);
    } catch (IOException | RuntimeException e) {
      throw damaged(type.getSimpleName(), e);
    }
  }

  /** True if {@code stored} carries this codec's header (any schema version). */
  static boolean framed(byte[] stored) {
    return stored.length > 2 && stored[0] == MAGIC;
  }

  private byte[] frame(JsonNode node) {
    try {
      byte[] json = mapper.writeValueAsBytes(node);
      byte[] framed = new byte[json.length + 2];
      framed[0] = MAGIC;
      framed[1] = (byte) Schema.CURRENT;
      System.arraycopy(json, 0, framed, 2, json.length);
      return framed;
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a store value", e);
    }
  }

  private JsonNode tree(byte[] stored, String what) {
    if (!framed(stored) || stored[1] != Schema.CURRENT) {
      throw new IllegalStateException("edge store holds a " + what + " not in schema " + Schema.CURRENT
          + " (header " + Arrays.toString(Arrays.copyOf(stored, Math.min(2, stored.length))) + ")");
    }
    try {
      return mapper.readTree(stored, 2, stored.length - 2);
    } catch (IOException e) {
      throw damaged(what, e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  /** Only values this store encoded itself are ever read, so an undecodable one is damage, not bad input. */
  private static IllegalStateException damaged(String what, Exception e) {
    return new IllegalStateException("edge store holds an undecodable " + what + ": " + e.getMessage(), e);
  }
}
