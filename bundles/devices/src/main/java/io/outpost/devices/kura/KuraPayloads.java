package io.outpost.devices.kura;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Eclipse Kura's telemetry format, for Kura/Kapua-style consumers: the {@code KuraPayload} protobuf message exactly
 * as Kura's published {@code kurapayload.proto} (package {@code kuradatatypes}, proto2) defines it — {@code
 * timestamp} = 1, {@code position} = 2, {@code metric} = 5000 (name, {@code ValueType}, one typed value),
 * {@code body} = 5001 — built here as a descriptor and encoded by protobuf-java's own codec (no hand-written wire
 * format), and Kura's data topic namespace {@code <account>/<client-id>/<app-id>/<resource>}. Kura's jars are not on
 * Maven Central; this interoperates at the wire level only.
 */
public final class KuraPayloads {
  private static final Pattern SEGMENT = Pattern.compile("[^/#+$\\s][^/#+\\s]*");
  /** Kura's value types with the Java type that carries each and the field that holds it, in ValueType order. */
  private record Kind(String type, Class<?> javaType, String field) {}

  private static final java.util.List<Kind> KINDS = java.util.List.of(new Kind("DOUBLE", Double.class, "double_value"),
      new Kind("FLOAT", Float.class, "float_value"), new Kind("INT64", Long.class, "long_value"),
      new Kind("INT32", Integer.class, "int_value"), new Kind("BOOL", Boolean.class, "bool_value"),
      new Kind("STRING", String.class, "string_value"), new Kind("BYTES", byte[].class, "bytes_value"));

  private static final Descriptor PAYLOAD = build(); // after KINDS, which it uses
  private static final Descriptor METRIC = PAYLOAD.findNestedTypeByName("KuraMetric");
  private static final EnumDescriptor VALUE_TYPE = METRIC.findEnumTypeByName("ValueType");

  private KuraPayloads() {}

  /** A decoded payload: its timestamp (null if absent) and metrics by name, as Java values. */
  public record Decoded(Instant timestamp, Map<String, Object> metrics, byte[] body) {}

  /**
   * A KuraPayload with {@code timestamp} and one metric per entry; the Java type chooses the Kura type: Double,
   * Float, Long, Integer, Boolean, String, byte[]. Throws {@link IllegalArgumentException} for anything else.
   */
  public static byte[] encode(Instant timestamp, Map<String, ?> metrics) {
    DynamicMessage.Builder payload = DynamicMessage.newBuilder(PAYLOAD);
    if (timestamp != null) {
      payload.setField(PAYLOAD.findFieldByName("timestamp"), timestamp.toEpochMilli());
    }
    FieldDescriptor metricField = PAYLOAD.findFieldByName("metric");
    metrics.forEach((name, value) -> payload.addRepeatedField(metricField, metric(name, value)));
    return payload.build().toByteArray();
  }

  private static DynamicMessage metric(String name, Object value) {
    Kind kind = KINDS.stream().filter(k -> k.javaType().isInstance(value)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("metric " + name + ": a Kura metric cannot hold a "
            + (value == null ? "null" : value.getClass().getSimpleName())));
    return DynamicMessage.newBuilder(METRIC).setField(METRIC.findFieldByName("name"), name)
        .setField(METRIC.findFieldByName("type"), VALUE_TYPE.findValueByName(kind.type()))
        .setField(METRIC.findFieldByName(kind.field()), value instanceof byte[] bytes ? ByteString.copyFrom(bytes)
            : value).build();
  }

  /** Decodes a KuraPayload; throws {@link IllegalArgumentException} if the bytes are not one. */
  public static Decoded decode(byte[] bytes) {
    DynamicMessage payload;
    try {
      payload = DynamicMessage.parseFrom(PAYLOAD, bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a KuraPayload: " + e.getMessage(), e);
    }
    FieldDescriptor timestamp = PAYLOAD.findFieldByName("timestamp");
    Map<String, Object> metrics = new LinkedHashMap<>();
    FieldDescriptor metricField = PAYLOAD.findFieldByName("metric");
    for (int i = 0; i < payload.getRepeatedFieldCount(metricField); i++) {
      DynamicMessage metric = (DynamicMessage) payload.getRepeatedField(metricField, i);
      String type = ((com.google.protobuf.Descriptors.EnumValueDescriptor) metric.getField(
          METRIC.findFieldByName("type"))).getName();
      String field = KINDS.stream().filter(k -> k.type().equals(type)).findFirst().orElseThrow().field();
      Object value = metric.getField(METRIC.findFieldByName(field));
      metrics.put((String) metric.getField(METRIC.findFieldByName("name")),
          value instanceof ByteString b ? b.toByteArray() : value);
    }
    FieldDescriptor body = PAYLOAD.findFieldByName("body");
    return new Decoded(payload.hasField(timestamp) ? Instant.ofEpochMilli((Long) payload.getField(timestamp)) : null,
        metrics, payload.hasField(body) ? ((ByteString) payload.getField(body)).toByteArray() : null);
  }

  /** Kura's data topic {@code <account>/<client-id>/<app-id>/<resource>}; every segment one MQTT topic level. */
  public static String dataTopic(String account, String clientId, String appId, String resource) {
    for (String segment : new String[] {account, clientId, appId, resource}) {
      if (segment == null || !SEGMENT.matcher(segment).matches()) {
        throw new IllegalArgumentException("'" + segment + "' cannot be a Kura topic segment");
      }
    }
    return account + "/" + clientId + "/" + appId + "/" + resource;
  }

  /** kurapayload.proto, as a descriptor. */
  private static Descriptor build() {
    EnumDescriptorProto.Builder valueType = EnumDescriptorProto.newBuilder().setName("ValueType");
    for (int i = 0; i < KINDS.size(); i++) { // Kura's KuraMetric.ValueType numbers
      valueType.addValue(EnumValueDescriptorProto.newBuilder().setName(KINDS.get(i).type()).setNumber(i));
    }
    DescriptorProto metric = DescriptorProto.newBuilder().setName("KuraMetric").addEnumType(valueType)
        .addField(field("name", 1, Type.TYPE_STRING, Label.LABEL_REQUIRED, null))
        .addField(field("type", 2, Type.TYPE_ENUM, Label.LABEL_REQUIRED, ".kuradatatypes.KuraPayload.KuraMetric.ValueType"))
        .addField(field("double_value", 3, Type.TYPE_DOUBLE, Label.LABEL_OPTIONAL, null))
        .addField(field("float_value", 4, Type.TYPE_FLOAT, Label.LABEL_OPTIONAL, null))
        .addField(field("long_value", 5, Type.TYPE_INT64, Label.LABEL_OPTIONAL, null))
        .addField(field("int_value", 6, Type.TYPE_INT32, Label.LABEL_OPTIONAL, null))
        .addField(field("bool_value", 7, Type.TYPE_BOOL, Label.LABEL_OPTIONAL, null))
        .addField(field("string_value", 8, Type.TYPE_STRING, Label.LABEL_OPTIONAL, null))
        .addField(field("bytes_value", 9, Type.TYPE_BYTES, Label.LABEL_OPTIONAL, null)).build();
    DescriptorProto position = DescriptorProto.newBuilder().setName("KuraPosition")
        .addField(field("latitude", 1, Type.TYPE_DOUBLE, Label.LABEL_REQUIRED, null))
        .addField(field("longitude", 2, Type.TYPE_DOUBLE, Label.LABEL_REQUIRED, null))
        .addField(field("altitude", 3, Type.TYPE_DOUBLE, Label.LABEL_OPTIONAL, null))
        .addField(field("precision", 4, Type.TYPE_DOUBLE, Label.LABEL_OPTIONAL, null))
        .addField(field("heading", 5, Type.TYPE_DOUBLE, Label.LABEL_OPTIONAL, null))
        .addField(field("speed", 6, Type.TYPE_DOUBLE, Label.LABEL_OPTIONAL, null))
        .addField(field("timestamp", 7, Type.TYPE_INT64, Label.LABEL_OPTIONAL, null))
        .addField(field("satellites", 8, Type.TYPE_INT32, Label.LABEL_OPTIONAL, null))
        .addField(field("status", 9, Type.TYPE_INT32, Label.LABEL_OPTIONAL, null)).build();
    DescriptorProto payload = DescriptorProto.newBuilder().setName("KuraPayload")
        .addNestedType(metric).addNestedType(position)
        .addField(field("timestamp", 1, Type.TYPE_INT64, Label.LABEL_OPTIONAL, null))
        .addField(field("position", 2, Type.TYPE_MESSAGE, Label.LABEL_OPTIONAL,
            ".kuradatatypes.KuraPayload.KuraPosition"))
        .addExtensionRange(DescriptorProto.ExtensionRange.newBuilder().setStart(3).setEnd(5000))
        .addField(field("metric", 5000, Type.TYPE_MESSAGE, Label.LABEL_REPEATED,
            ".kuradatatypes.KuraPayload.KuraMetric"))
        .addField(field("body", 5001, Type.TYPE_BYTES, Label.LABEL_OPTIONAL, null)).build();
    FileDescriptorProto file = FileDescriptorProto.newBuilder().setName("kurapayload.proto")
        .setPackage("kuradatatypes").setSyntax("proto2").addMessageType(payload).build();
    try {
      return FileDescriptor.buildFrom(file, new FileDescriptor[0]).findMessageTypeByName("KuraPayload");
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException("kurapayload.proto does not validate", e);
    }
  }

  private static FieldDescriptorProto.Builder field(String name, int number, Type type, Label label, String typeName) {
    FieldDescriptorProto.Builder field = FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
        .setType(type).setLabel(label);
    return typeName == null ? field : field.setTypeName(typeName);
  }
}
