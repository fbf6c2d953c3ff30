package io.outpost.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.HexFormat;

/**
 * The content hash the bridge puts in an UPSERT's ref ({@link ObjectRef#hash()}): the first 128 bits of SHA-256 over
 * the body's JSON with map entries sorted by key, as 32 hex digits. It names what the edge holds independently of
 * the Kubernetes resourceVersion, which also moves when only the status changes: a bridge that never sent a node
 * anything (after a failover or restart) can still tell from the digest that the node is current.
 */
public final class ContentHash {
  private static final ObjectMapper CANONICAL = JsonMapper.builder()
      .serializationInclusion(JsonInclude.Include.NON_NULL)
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
      .build();

  private ContentHash() {}

  public static String of(Object body) {
    try {
      byte[] json = CANONICAL.writeValueAsBytes(body);
      return HexFormat.of().formatHex(Buckets.sha256().digest(json), 0, 16);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + body.getClass().getSimpleName(), e);
    }
  }
}
