package io.outpost.bridge.fleet;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.apps.DaemonSetUpdateStrategy;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.outpost.bridge.fleet.SiteWorkloadSpec.ContainerOverride;
import io.outpost.bridge.fleet.SiteWorkloadSpec.Invalid;
import io.outpost.bridge.fleet.SiteWorkloadSpec.SiteOverride;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a SiteWorkload's {@code spec} (a generic map, as the API server stores it) into a {@link SiteWorkloadSpec},
 * or says why it cannot be stamped. The reasons are the SpecValid condition's: {@code UnknownKind},
 * {@code InvalidSiteName}, {@code UnknownContainer}, {@code InvalidSelector}, {@code InvalidTemplate},
 * {@code InvalidOverride}, {@code InvalidField}. The CRD's schema checks types on a real API server; this checks
 * them again (the controller must not trust what it reads) and checks what a schema cannot express.
 */
final class SpecParser {
  private static final Set<String> OPERATORS = Set.of("In", "NotIn", "Exists", "DoesNotExist");

  private final KubernetesSerialization serialization;

  SpecParser(KubernetesSerialization serialization) {
    this.serialization = serialization;
  }

  SiteWorkloadSpec parse(Object specObject) throws Invalid {
    Map<String, Object> spec = map(specObject, "spec");
    String kind = spec.get("kind") == null ? SiteWorkloadSpec.DEPLOYMENT : string(spec.get("kind"), "spec.kind");
    if (!kind.equals(SiteWorkloadSpec.DEPLOYMENT) && !kind.equals(SiteWorkloadSpec.DAEMON_SET)) {
      throw new Invalid("UnknownKind", "spec.kind '" + kind + "' is neither Deployment nor DaemonSet");
    }
    Map<String, Object> sites = spec.get("sites") == null ? Map.of() : map(spec.get("sites"), "spec.sites");
    List<String> names = new ArrayList<>();
    for (Object name : list(sites.get("names"), "spec.sites.names")) {
      names.add(site(name, "spec.sites.names"));
    }
    LabelSelector selector = sites.get("nodeSelector") == null ? null
        : selector(sites.get("nodeSelector"));
    Integer replicas = replicas(spec.get("replicas"), "spec.replicas");
    if (replicas != null && kind.equals(SiteWorkloadSpec.DAEMON_SET)) {
      throw new Invalid("InvalidField", "spec.replicas: a DaemonSet runs one pod per node and has no replicas");
    }
    Map<String, Object> strategy = spec.get("strategy") == null ? null : map(spec.get("strategy"), "spec.strategy");
    if (strategy != null) {
      Class<?> type = kind.equals(SiteWorkloadSpec.DEPLOYMENT) ? DeploymentStrategy.class
          : DaemonSetUpdateStrategy.class;
      convert(strategy, type, "InvalidField", "spec.strategy");
    }
    if (spec.get("template") == null) {
      throw new Invalid("InvalidTemplate", "spec.template is required");
    }
    PodTemplateSpec template = convert(map(spec.get("template"), "spec.template"), PodTemplateSpec.class,
        "InvalidTemplate", "spec.template");
    Set<String> containers = containerNames(template);
    Map<String, SiteOverride> overrides = new LinkedHashMap<>();
    List<Object> entries = list(spec.get("overrides"), "spec.overrides");
    for (int i = 0; i < entries.size(); i++) {
      SiteOverride override = override(entries.get(i), "spec.overrides[" + i + "]", kind, containers);
      if (overrides.put(override.site(), override) != null) {
        throw new Invalid("InvalidOverride", "spec.overrides: site '" + override.site() + "' appears twice");
      }
    }
    return new SiteWorkloadSpec(kind, names, selector, replicas, strategy, template, overrides);
  }

  private static Set<String> containerNames(PodTemplateSpec template) throws Invalid {
    if (template.getSpec() == null || template.getSpec().getContainers() == null
        || template.getSpec().getContainers().isEmpty()) {
      throw new Invalid("InvalidTemplate", "spec.template.spec.containers: a pod needs at least one container");
    }
    Set<String> names = new HashSet<>();
    List<Container> all = new ArrayList<>(template.getSpec().getContainers());
    if (template.getSpec().getInitContainers() != null) {
      all.addAll(template.getSpec().getInitContainers());
    }
    for (Container container : all) {
      if (container.getName() == null || container.getName().isEmpty()) {
        throw new Invalid("InvalidTemplate", "spec.template.spec: every container needs a name");
      }
      names.add(container.getName());
    }
    return names;
  }

  private SiteOverride override(Object entry, String where, String kind, Set<String> containers) throws Invalid {
    Map<String, Object> fields = map(entry, where);
    String site = site(fields.get("site"), where + ".site");
    Integer replicas = replicas(fields.get("replicas"), where + ".replicas");
    if (replicas != null && kind.equals(SiteWorkloadSpec.DAEMON_SET)) {
      throw new Invalid("InvalidOverride", where + ".replicas: a DaemonSet has no replicas");
    }
    Map<String, ContainerOverride> byName = new LinkedHashMap<>();
    List<Object> items = list(fields.get("containers"), where + ".containers");
    for (int i = 0; i < items.size(); i++) {
      String at = where + ".containers[" + i + "]";
      Map<String, Object> container = map(items.get(i), at);
      String name = string(container.get("name"), at + ".name");
      if (!containers.contains(name)) {
        throw new Invalid("UnknownContainer", at + ": the template has no container '" + name + "' (it has "
            + new java.util.TreeSet<>(containers) + ")");
      }
      String image = container.get("image") == null ? null : string(container.get("image"), at + ".image");
      List<EnvVar> env = null;
      if (container.get("env") != null) {
        env = new ArrayList<>();
        for (Object variable : list(container.get("env"), at + ".env")) {
          EnvVar parsed = convert(map(variable, at + ".env[]"), EnvVar.class, "InvalidOverride", at + ".env[]");
          if (parsed.getName() == null || parsed.getName().isEmpty()) {
            throw new Invalid("InvalidOverride", at + ".env[]: every variable needs a name");
          }
          env.add(parsed);
        }
      }
      ResourceRequirements resources = container.get("resources") == null ? null
          : convert(map(container.get("resources"), at + ".resources"), ResourceRequirements.class,
              "InvalidOverride", at + ".resources");
      if (byName.put(name, new ContainerOverride(name, image, env, resources)) != null) {
        throw new Invalid("InvalidOverride", at + ": container '" + name + "' appears twice");
      }
    }
    return new SiteOverride(site, replicas, byName);
  }

  private LabelSelector selector(Object value) throws Invalid {
    LabelSelector selector = convert(map(value, "spec.sites.nodeSelector"), LabelSelector.class, "InvalidSelector",
        "spec.sites.nodeSelector");
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
        if (requirement.getKey() == null || !OPERATORS.contains(requirement.getOperator())) {
          throw new Invalid("InvalidSelector", "spec.sites.nodeSelector.matchExpressions: operator '"
              + requirement.getOperator() + "' (key '" + requirement.getKey() + "') is not one of " + OPERATORS);
        }
        boolean set = requirement.getOperator().equals("In") || requirement.getOperator().equals("NotIn");
        boolean hasValues = requirement.getValues() != null && !requirement.getValues().isEmpty();
        if (set != hasValues) {
          throw new Invalid("InvalidSelector", "spec.sites.nodeSelector.matchExpressions: " + requirement.getOperator()
              + (set ? " needs values" : " takes no values") + " (key '" + requirement.getKey() + "')");
        }
      }
    }
    return selector;
  }

  private <T> T convert(Map<String, Object> value, Class<T> type, String reason, String where) throws Invalid {
    try {
      return serialization.convertValue(value, type);
    } catch (RuntimeException e) { // Jackson's mapping errors arrive as IllegalArgumentException or its own
      throw new Invalid(reason, where + ": " + firstLine(e.getMessage()));
    }
  }

  private static String site(Object value, String where) throws Invalid {
    String site = value instanceof String text ? text : null;
    if (!CopyNames.validSite(site)) {
      throw new Invalid("InvalidSiteName", where + ": '" + value + "' is not a site name (a label value: at most"
          + " 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)");
    }
    return site;
  }

  private static Integer replicas(Object value, String where) throws Invalid {
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number number) || number.longValue() != number.doubleValue() || number.longValue() < 0
        || number.longValue() > Integer.MAX_VALUE) {
      throw new Invalid("InvalidField", where + ": '" + value + "' is not a number of replicas");
    }
    return number.intValue();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value, String where) throws Invalid {
    if (value instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new Invalid("InvalidField", where + " must be an object");
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value, String where) throws Invalid {
    if (value == null) {
      return List.of();
    }
    if (value instanceof List<?> list) {
      return (List<Object>) list;
    }
    throw new Invalid("InvalidField", where + " must be a list");
  }

  private static String string(Object value, String where) throws Invalid {
    if (value instanceof String text && !text.isEmpty()) {
      return text;
    }
    throw new Invalid("InvalidField", where + " must be a non-empty string");
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "cannot be read";
    }
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    return line.length() > 300 ? line.substring(0, 300) : line;
  }
}
