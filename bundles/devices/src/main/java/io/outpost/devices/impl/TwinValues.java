package io.outpost.devices.impl;

import io.outpost.protocol.DeviceModelV1;
import io.outpost.protocol.DeviceModelV1.ModelPropertyV1;
import java.util.Locale;

/** Checks desired values against a DeviceModel property, and types read values for telemetry. */
final class TwinValues {
  private TwinValues() {}

  /** A problem with writing {@code value} to the property (reason, message), or null if it may be written. */
  static String[] checkDesired(String value, ModelPropertyV1 property) {
    if (DeviceModelV1.READ_ONLY.equals(property.accessMode())) {
      return new String[] {"read_only", property.name() + " is ReadOnly in its model: the desired value "
          + value + " is not written"};
    }
    String type = property.type() == null ? "STRING" : property.type();
    if (!DeviceModelV1.TYPES.contains(type)) {
      return new String[] {"invalid_model", property.name() + " has unknown type " + type};
    }
    switch (type) {
      case "INT", "FLOAT", "DOUBLE" -> {
        double number;
        try {
          number = "INT".equals(type) ? Long.parseLong(value.trim()) : Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
          return new String[] {"invalid_value", "'" + value + "' is not " + ("INT".equals(type) ? "an integer"
              : "a number") + " (" + property.name() + " is " + type + ")"};
        }
        if (Double.isNaN(number) || Double.isInfinite(number)) {
          return new String[] {"invalid_value", "'" + value + "' is not a finite number"};
        }
        try {
          if (below(number, property.minimum()) || above(number, property.maximum())) {
            return new String[] {"out_of_range", value + " is outside " + range(property) + " for "
                + property.name()};
          }
        } catch (NumberFormatException e) {
          return new String[] {"invalid_model", "the range " + range(property) + " of " + property.name()
              + " is not numeric"};
        }
        return null;
      }
      case "BOOLEAN" -> {
        String text = value.trim().toLowerCase(Locale.ROOT);
        return text.equals("true") || text.equals("false") ? null
            : new String[] {"invalid_value", "'" + value + "' is not true or false"};
      }
      default -> {
        return null;
      }
    }
  }

  /** The value as the model types it: Long, Double, Boolean or String (as read, if it does not parse). */
  static Object typed(String value, ModelPropertyV1 property) {
    String type = property == null || property.type() == null ? "STRING" : property.type();
    try {
      return switch (type) {
        case "INT" -> value.contains(".") ? (Object) Double.parseDouble(value) : (Object) Long.parseLong(value);
        case "FLOAT", "DOUBLE" -> Double.parseDouble(value);
        case "BOOLEAN" -> Boolean.parseBoolean(value.trim()) || value.trim().equals("1");
        default -> value;
      };
    } catch (NumberFormatException e) {
      return value;
    }
  }

  private static boolean below(double number, String minimum) {
    return minimum != null && number < Double.parseDouble(minimum);
  }

  private static boolean above(double number, String maximum) {
    return maximum != null && number > Double.parseDouble(maximum);
  }

  private static String range(ModelPropertyV1 property) {
    return "[" + (property.minimum() == null ? "-inf" : property.minimum()) + ", "
        + (property.maximum() == null ? "+inf" : property.maximum()) + "]";
  }
}
