package io.outpost.protocol;

import java.util.List;
import java.util.Set;

/**
 * A KubeEdge {@code devices.kubeedge.io/v1beta1} DeviceModel as an edge node holds it: the properties' types, access
 * modes and ranges, against which the edge checks desired and reported values. Sent only to nodes with a Device of
 * that model.
 */
public record DeviceModelV1(String protocol, List<ModelPropertyV1> properties) {

  /** KubeEdge's property types. */
  public static final Set<String> TYPES = Set.of("INT", "FLOAT", "DOUBLE", "STRING", "BOOLEAN", "BYTES", "STREAM");
  public static final String READ_WRITE = "ReadWrite";
  public static final String READ_ONLY = "ReadOnly";

  /** {@code minimum}/{@code maximum} are numbers as text, or null. */
  public record ModelPropertyV1(String name, String type, String accessMode, String minimum, String maximum,
      String unit) {}

  /**
   * Structure only: a type, access mode or range the edge does not understand is reported in the Device's status by
   * the node ({@code invalid_model}), not refused here, so that the user sees why the device is not served.
   */
  void validate() throws ProtocolException {
    if (protocol != null && protocol.length() > 253) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "deviceModel.protocol is too long");
    }
    if (properties == null) {
      return;
    }
    if (properties.size() > DeviceV1.MAX_PROPERTIES) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "a model has at most " + DeviceV1.MAX_PROPERTIES
          + " properties");
    }
    for (ModelPropertyV1 property : properties) {
      Validation.require(property, "deviceModel.properties[]");
      Validation.require(property.name(), "deviceModel.properties[].name");
      for (String value : new String[] {property.name(), property.type(), property.accessMode(), property.minimum(),
          property.maximum(), property.unit()}) {
        if (value != null && value.length() > 253) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "a field of model property "
              + property.name() + " is longer than 253 characters");
        }
      }
    }
  }
}
