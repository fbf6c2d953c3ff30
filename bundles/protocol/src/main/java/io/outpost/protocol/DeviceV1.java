package io.outpost.protocol;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A KubeEdge {@code devices.kubeedge.io/v1beta1} Device as an edge node holds it: the subset Outpost acts on. {@code
 * model} names the DeviceModel in the same namespace; {@code protocol} and {@code protocolConfig} say how to reach the
 * device (KubeEdge's {@code spec.protocol}, its {@code configData} flattened to strings: nested values as JSON;
 * {@code protocol} null means the model's); each property says where its
 * value lives ({@code visitorConfig}), how often it is read ({@code collectCycleMillis}) and reported ({@code
 * reportCycleMillis}), and the value the cloud wants written ({@code desired}, null for none). Sent only to the node
 * the Device is bound to ({@code spec.nodeName}).
 */
public record DeviceV1(String model, String protocol, Map<String, String> protocolConfig,
    List<PropertyV1> properties) {

  /** At most this many properties per device, and this long a config value: a Device is small. */
  public static final int MAX_PROPERTIES = 256;
  public static final int MAX_VALUE = 4096;
  private static final Pattern NAME = Pattern.compile("[-._a-zA-Z0-9]{1,128}");

  public record PropertyV1(String name, String desired, Map<String, String> visitorConfig, long collectCycleMillis,
      long reportCycleMillis, boolean reportToCloud) {}

  void validate() throws ProtocolException {
    // A missing model or protocol, or one no driver serves, is the node's to report in the Device's status.
    if ((model != null && model.length() > 253) || (protocol != null && protocol.length() > 253)) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "device.model or device.protocol is too long");
    }
    config(protocolConfig, "device.protocolConfig");
    if (properties != null) {
      if (properties.size() > MAX_PROPERTIES) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "a device has at most " + MAX_PROPERTIES
            + " properties");
      }
      java.util.Set<String> names = new java.util.HashSet<>();
      for (PropertyV1 property : properties) {
        Validation.require(property, "device.properties[]");
        Validation.require(property.name(), "device.properties[].name");
        if (!NAME.matcher(property.name()).matches() || !names.add(property.name())) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "property name '" + property.name()
              + "' is invalid or repeated");
        }
        if (property.desired() != null && property.desired().length() > MAX_VALUE) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "desired value of " + property.name()
              + " is longer than " + MAX_VALUE);
        }
        if (property.collectCycleMillis() < 0 || property.reportCycleMillis() < 0) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "cycles of " + property.name()
              + " must not be negative");
        }
        config(property.visitorConfig(), "device.properties[" + property.name() + "].visitorConfig");
      }
    }
  }

  static void config(Map<String, String> config, String field) throws ProtocolException {
    if (config == null) {
      return;
    }
    for (Map.Entry<String, String> entry : config.entrySet()) {
      if (entry.getKey() == null || !NAME.matcher(entry.getKey()).matches() || entry.getValue() == null
          || entry.getValue().length() > MAX_VALUE) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "invalid entry '" + entry.getKey() + "' in "
            + field);
      }
    }
  }
}
