package io.outpost.containers.impl;

import io.outpost.protocol.ConfigMapV1;
import io.outpost.protocol.ObjectRef;
import io.outpost.protocol.PodV1;
import io.outpost.protocol.PodV1.ContainerV1;
import io.outpost.protocol.PodV1.EnvFromV1;
import io.outpost.protocol.PodV1.EnvVarV1;
import io.outpost.protocol.PodV1.KeyRefV1;
import io.outpost.protocol.SecretV1;
import io.outpost.store.DesiredState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Resolves a container's environment the way the kubelet does, from what the edge store holds: {@code envFrom}
 * first (ConfigMap and Secret keys, prefixed), then {@code env}, which overrides; {@code valueFrom} a ConfigMap key,
 * a Secret key, a pod field ({@link FieldPaths}) or a container resource ({@link ResourceFields}). A missing
 * non-optional source fails with the kubelet's message, reported as {@code CreateContainerConfigError}. Then the
 * Service variables ({@link ServiceLinks}) the container does not define itself; {@code $(VAR)} in an {@code env}
 * value sees the variables defined before it, then the Service variables, as in the kubelet. Works offline: only
 * the store (and the node's own allocatable and address) is read.
 */
final class EnvResolver {
  /** Kubernetes accepts C identifiers and more; this is its rule for env var names. */
  private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");

  private final DesiredState store;
  private final String node;
  private final Supplier<Map<String, String>> allocatable;

  EnvResolver(DesiredState store, String node) {
    this(store, node, Map::of);
  }

  /** {@code allocatable}: the node's allocatable resources (null when unknown), for limits a container does not set. */
  EnvResolver(DesiredState store, String node, Supplier<Map<String, String>> allocatable) {
    this.store = store;
    this.node = node;
    this.allocatable = allocatable;
  }

  /** A container whose configuration cannot be resolved yet (a source is missing). */
  static final class ConfigError extends Exception {
    private static final long serialVersionUID = 1L;

    ConfigError(String message) {
      super(message);
    }
  }

  /** {@code NAME=value} entries, in the order Kubernetes would set them, for a pod without a known IP. */
  List<String> resolve(ObjectRef pod, ContainerV1 container) throws ConfigError {
    return resolve(pod, container, null);
  }

  /** As {@link #resolve(ObjectRef, PodV1, ContainerV1, String)} without the pod's labels, annotations and others. */
  List<String> resolve(ObjectRef ref, ContainerV1 container, String podIP) throws ConfigError {
    return resolve(ref, null, container, podIP);
  }

  /** {@code NAME=value} entries, in the order Kubernetes would set them; {@code podIP} for status.podIP(s). */
  List<String> resolve(ObjectRef ref, PodV1 spec, ContainerV1 container, String podIP) throws ConfigError {
    ObjectRef pod = ref;
    Map<String, String> services = ServiceLinks.variables(store, ref.namespace(), spec == null || spec.serviceLinks());
    Map<String, String> env = new LinkedHashMap<>();
    if (container.envFrom() != null) {
      for (EnvFromV1 source : container.envFrom()) {
        String prefix = source.prefix() == null ? "" : source.prefix();
        for (Map.Entry<String, String> entry : allKeys(pod.namespace(), source).entrySet()) {
          String name = prefix + entry.getKey();
          if (ENV_NAME.matcher(name).matches()) { // the kubelet skips keys that are not valid names, too
            env.put(name, entry.getValue());
          }
        }
      }
    }
    if (container.env() != null) {
      for (EnvVarV1 var : container.env()) {
        // A literal value may refer to the variables defined before it, $(NAME), as the kubelet expands it.
        // The kubelet's mapping: the variables so far, then the Service variables.
        String value = var.valueFrom() == null ? Expansion.expand(var.value() == null ? "" : var.value(),
            name -> env.containsKey(name) ? env.get(name) : services.get(name))
            : valueFrom(pod, spec, container, var, podIP);
        if (value != null) {
          env.remove(var.name()); // a later definition moves to the end, as in the kubelet's list
          env.put(var.name(), value);
        }
      }
    }
    services.forEach(env::putIfAbsent); // after the container's own, which override them
    return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }

  private Map<String, String> allKeys(String namespace, EnvFromV1 source) throws ConfigError {
    Map<String, String> values = new TreeMap<>();
    if (source.configMapRef() != null) {
      Optional<ConfigMapV1> configMap = store.configMap(namespace, source.configMapRef().name());
      if (configMap.isEmpty()) {
        if (source.configMapRef().canBeMissing()) {
          return values;
        }
        throw new ConfigError("configmap \"" + source.configMapRef().name() + "\" not found");
      }
      if (configMap.get().binaryData() != null) {
        configMap.get().binaryData().keySet().forEach(k -> values.put(k, configMap.get().text(k)));
      }
      if (configMap.get().data() != null) {
        values.putAll(configMap.get().data());
      }
    } else {
      Optional<SecretV1> secret = store.secret(namespace, source.secretRef().name());
      if (secret.isEmpty()) {
        if (source.secretRef().canBeMissing()) {
          return values;
        }
        throw new ConfigError("secret \"" + source.secretRef().name() + "\" not found");
      }
      if (secret.get().data() != null) {
        secret.get().data().keySet().forEach(k -> values.put(k, secret.get().text(k)));
      }
    }
    return values;
  }

  /** The value, null if an optional source is missing (the variable is then not set). */
  private String valueFrom(ObjectRef pod, PodV1 spec, ContainerV1 container, EnvVarV1 var, String podIP)
      throws ConfigError {
    KeyRefV1 configMapKey = var.valueFrom().configMapKeyRef();
    KeyRefV1 secretKey = var.valueFrom().secretKeyRef();
    if (configMapKey != null) {
      Optional<ConfigMapV1> configMap = store.configMap(pod.namespace(), configMapKey.name());
      String value = configMap.map(c -> c.text(configMapKey.key())).orElse(null);
      if (value == null && !configMapKey.canBeMissing()) {
        throw new ConfigError(configMap.isEmpty() ? "configmap \"" + configMapKey.name() + "\" not found"
            : "couldn't find key " + configMapKey.key() + " in ConfigMap " + pod.namespace() + "/"
                + configMapKey.name());
      }
      return value;
    }
    if (secretKey != null) {
      Optional<SecretV1> secret = store.secret(pod.namespace(), secretKey.name());
      String value = secret.map(s -> s.text(secretKey.key())).orElse(null);
      if (value == null && !secretKey.canBeMissing()) {
        throw new ConfigError(secret.isEmpty() ? "secret \"" + secretKey.name() + "\" not found"
            : "couldn't find key " + secretKey.key() + " in Secret " + pod.namespace() + "/" + secretKey.name());
      }
      return value;
    }
    if (var.valueFrom().resourceFieldRef() != null) {
      try {
        return ResourceFields.value(var.valueFrom().resourceFieldRef(), spec, container, allocatable.get());
      } catch (ConfigError e) {
        throw new ConfigError(e.getMessage() + " (in env " + var.name() + ")");
      }
    }
    return FieldPaths.env(pod, spec, var.valueFrom().fieldPath(),
        new FieldPaths.Addresses(node, podIP, HostAddress.primary()), var.name());
  }
}
