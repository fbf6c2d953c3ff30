package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.Map;

/**
 * KubeEdge's {@code devices.kubeedge.io/v1beta1} Devices and DeviceModels as the bridge reads them: as generic
 * resources (no KubeEdge jar is needed), named in full so that no API discovery is needed — a cluster without the
 * CRDs answers the list with 404, which start-up reports plainly.
 */
public final class Devices {
  public static final ResourceDefinitionContext DEVICES = context("Device", "devices");
  public static final ResourceDefinitionContext DEVICE_MODELS = context("DeviceModel", "devicemodels");

  private Devices() {}

  private static ResourceDefinitionContext context(String kind, String plural) {
    return new ResourceDefinitionContext.Builder().withGroup("devices.kubeedge.io").withVersion("v1beta1")
        .withKind(kind).withPlural(plural).withNamespaced(true).build();
  }

  /** The node a Device is bound to ({@code spec.nodeName}), or "" for none. */
  public static String nodeName(GenericKubernetesResource device) {
    Object node = spec(device).get("nodeName");
    return node instanceof String name ? name : "";
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource resource) {
    Object spec = resource.getAdditionalProperties().get("spec");
    return spec instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
  }
}
