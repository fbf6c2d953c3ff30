package io.outpost.bridge.downstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.outpost.bridge.kube.Devices;
import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceV1;
import io.outpost.protocol.Downstream;
import io.outpost.protocol.ObjectRef;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Translates KubeEdge {@code devices.kubeedge.io/v1beta1} Devices and DeviceModels (read as generic resources: no
 * KubeEdge jar is needed) into what an edge node holds of them. Lenient by design: whatever the node cannot use (an
 * unknown protocol, a missing model, a type it does not know) still reaches it, and the node reports why in the
 * Device's status, where the user looks.
 */
final class DeviceTranslator {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long NANOS_PER_MILLI = 1_000_000L;

  private DeviceTranslator() {}

  /** The store key of the Device's model ({@code spec.deviceModelRef.name}, same namespace), or null. */
  static String modelKey(GenericKubernetesResource device) {
    String model = modelName(device);
    return model == null ? null : ObjectRef.key(Downstream.KIND_DEVICE_MODEL, device.getMetadata().getNamespace(),
        model);
  }

  static String key(GenericKubernetesResource device) {
    return ObjectRef.key(Downstream.KIND_DEVICE, device.getMetadata().getNamespace(), device.getMetadata().getName());
  }

  static DeviceV1 device(GenericKubernetesResource device) {
    Map<String, Object> spec = spec(device);
    Map<String, Object> protocol = map(spec.get("protocol"));
    List<DeviceV1.PropertyV1> properties = new ArrayList<>();
    for (Object item : list(spec.get("properties"))) {
      Map<String, Object> property = map(item);
      Object desired = map(property.get("desired")).get("value");
      properties.add(new DeviceV1.PropertyV1(text(property.get("name")), desired == null ? null : text(desired),
          flatten(map(map(property.get("visitors")).get("configData"))),
          millis(property.get("collectCycle")), millis(property.get("reportCycle")),
          Boolean.TRUE.equals(property.get("reportToCloud"))));
    }
    return new DeviceV1(modelName(device), protocol.get("protocolName") == null ? null
        : text(protocol.get("protocolName")), flatten(map(protocol.get("configData"))), properties.isEmpty() ? null
        : properties);
  }

  static DeviceModelV1 model(GenericKubernetesResource model) {
    Map<String, Object> spec = spec(model);
    List<DeviceModelV1.ModelPropertyV1> properties = new ArrayList<>();
    for (Object item : list(spec.get("properties"))) {
      Map<String, Object> property = map(item);
      Object type = property.get("type");
      properties.add(new DeviceModelV1.ModelPropertyV1(text(property.get("name")),
          type == null ? null : text(type).toUpperCase(Locale.ROOT), textOrNull(property.get("accessMode")),
          textOrNull(property.get("minimum")), textOrNull(property.get("maximum")), textOrNull(property.get("unit"))));
    }
    return new DeviceModelV1(textOrNull(spec.get("protocol")), properties.isEmpty() ? null : properties);
  }

  private static String modelName(GenericKubernetesResource device) {
    Object name = map(spec(device).get("deviceModelRef")).get("name");
    return name instanceof String text && !text.isEmpty() ? text : null;
  }

  /** KubeEdge's cycles are nanoseconds; 0 or absent leaves the choice to the node. */
  private static long millis(Object nanos) {
    if (nanos instanceof Number number) {
      return Math.max(0, number.longValue() / NANOS_PER_MILLI);
    }
    if (nanos instanceof String text) {
      try {
        return Math.max(0, Long.parseLong(text.trim()) / NANOS_PER_MILLI);
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return 0;
  }

  /** configData (any JSON) as strings: scalars as text, nested values as JSON, nulls left out. */
  static Map<String, String> flatten(Map<String, Object> config) {
    if (config.isEmpty()) {
      return null;
    }
    Map<String, String> flat = new LinkedHashMap<>();
    config.forEach((key, value) -> {
      if (value != null) {
        flat.put(key, text(value));
      }
    });
    return flat;
  }

  private static String textOrNull(Object value) {
    return value == null ? null : text(value);
  }

  private static String text(Object value) {
    if (value instanceof String text) {
      return text;
    }
    if (value instanceof Double || value instanceof Float) {
      return new BigDecimal(value.toString()).stripTrailingZeros().toPlainString();
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      return String.valueOf(value);
    }
  }

  private static Map<String, Object> spec(GenericKubernetesResource resource) {
    return map(resource.getAdditionalProperties().get("spec"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }

  private static List<Object> list(Object value) {
    return value instanceof List<?> list ? new ArrayList<>(list) : List.of();
  }
}
