package io.outpost.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * The one codec of protocol v1: UTF-8 JSON objects with a numeric version field {@code v}. Decoding checks, in this
 * order, the size limit (before parsing anything), the JSON syntax, the version, the shape, then the fields.
 * Thread-safe.
 */
public final class Codec {
  public static final int VERSION = 1;
  public static final int DEFAULT_MAX_BYTES = 256 * 1024;

  private final int maxBytes;
  private final ObjectMapper mapper;

  public Codec() {
    this(DEFAULT_MAX_BYTES);
  }

  public Codec(int maxBytes) {
    if (maxBytes < 1024) {
      throw new IllegalArgumentException("maxBytes must be at least 1024, was " + maxBytes);
    }
    this.maxBytes = maxBytes;
    this.mapper = JsonMapper.builder()
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
        .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
        .configure(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS, true)
        .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
        .configure(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS, false)
        .serializationInclusion(JsonInclude.Include.NON_NULL)
        .build();
    mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
        .maxNestingDepth(32)
        .maxStringLength(maxBytes)
        .maxNumberLength(20)
        .build());
  }

  public int maxBytes() {
    return maxBytes;
  }

  public byte[] encode(Message message) {
    try {
      byte[] bytes = mapper.writeValueAsBytes(message);
      if (bytes.length > maxBytes) {
        throw new IllegalArgumentException(
            "encoded " + message.getClass().getSimpleName() + " is " + bytes.length + " bytes, limit " + maxBytes);
      }
      return bytes;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + message.getClass().getSimpleName(), e);
    }
  }

  /** Decodes and validates one payload, or says exactly why it is rejected. */
  public <T extends Message> T decode(byte[] payload, Class<T> type) throws ProtocolException {
    if (payload == null || payload.length == 0) {
      throw new ProtocolException(ProtocolException.Reason.MALFORMED, "empty payload");
    }
    if (payload.length > maxBytes) {
      throw new ProtocolException(ProtocolException.Reason.OVERSIZED,
          payload.length + " bytes exceeds the limit of " + maxBytes);
    }
    JsonNode tree;
    try {
      tree = mapper.readTree(payload);
    } catch (IOException | RuntimeException e) {
      throw new ProtocolException(ProtocolException.Reason.MALFORMED, firstLine(e));
    }
    if (tree == null || !tree.isObject()) {
      throw new ProtocolException(ProtocolException.Reason.MALFORMED, "payload is not a JSON object");
    }
    JsonNode version = tree.get("v");
    if (version == null || !version.isInt()) {
      throw new ProtocolException(ProtocolException.Reason.MALFORMED, "missing or non-integer version field 'v'");
    }
    Validation.requireVersion(version.intValue());
    T message;
    try {
      message = mapper.treeToValue(tree, type);
    } catch (IOException | RuntimeException e) {
      throw new ProtocolException(ProtocolException.Reason.MALFORMED, firstLine(e));
    }
    message.validate();
    return message;
  }

  private static String firstLine(Exception e) {
    String text = String.valueOf(e.getMessage());
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
