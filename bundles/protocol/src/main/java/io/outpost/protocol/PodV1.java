package io.outpost.protocol;

import java.util.List;
import java.util.Map;

/**
 * The part of a Kubernetes Pod an edge node needs to run it. {@code deletionTimestamp} is set once Kubernetes has
 * started a graceful deletion: the edge stops the containers within the grace period and reports them stopped.
 * {@code hostname}, {@code subdomain} and {@code setHostnameAsFQDN} are the pod's {@code spec} fields of those names
 * (absent: not set; {@code setHostnameAsFQDN} is sent only when true): the edge derives the hostname of the pod's
 * containers from them as the kubelet does. {@code securityContext} carries the pod's security settings and host
 * namespaces ({@link SecurityV1}; absent: none set, as sent by bridges that predate it).
 */
public record PodV1(
    String nodeName,
    String restartPolicy,
    Long terminationGracePeriodSeconds,
    String deletionTimestamp,
    Long deletionGracePeriodSeconds,
    List<ContainerV1> containers,
    List<ContainerV1> initContainers,
    List<VolumeV1> volumes,
    List<String> imagePullSecrets,
    String hostname,
    String subdomain,
    Boolean setHostnameAsFQDN,
    SecurityV1.PodSecurityV1 securityContext,
    List<String> unsupported,
    Long activeDeadlineSeconds,
    List<HostAliasV1> hostAliases,
    List<ContainerV1> ephemeralContainers,
    Map<String, String> labels,
    Map<String, String> annotations,
    String serviceAccountName,
    String dnsPolicy,
    DnsConfigV1 dnsConfig,
    Boolean enableServiceLinks) {

  /** A pod as bridges before site networking (dnsPolicy, dnsConfig, enableServiceLinks) send it. */
  public PodV1(String nodeName, String restartPolicy, Long terminationGracePeriodSeconds, String deletionTimestamp,
      Long deletionGracePeriodSeconds, List<ContainerV1> containers, List<ContainerV1> initContainers,
      List<VolumeV1> volumes, List<String> imagePullSecrets, String hostname, String subdomain,
      Boolean setHostnameAsFQDN, SecurityV1.PodSecurityV1 securityContext, List<String> unsupported,
      Long activeDeadlineSeconds, List<HostAliasV1> hostAliases, List<ContainerV1> ephemeralContainers,
      Map<String, String> labels, Map<String, String> annotations, String serviceAccountName) {
    this(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, initContainers, volumes, imagePullSecrets, hostname, subdomain, setHostnameAsFQDN,
        securityContext, unsupported, activeDeadlineSeconds, hostAliases, ephemeralContainers, labels, annotations,
        serviceAccountName, null, null, null);
  }

  /** The pod's {@code dnsPolicy}; Kubernetes' default {@code ClusterFirst} if none was sent. */
  public String dnsPolicyOrDefault() {
    return dnsPolicy == null ? "ClusterFirst" : dnsPolicy;
  }

  /** Whether Service environment variables are injected ({@code enableServiceLinks}, true by default). */
  public boolean serviceLinks() {
    return enableServiceLinks == null || enableServiceLinks;
  }

  /** At most this many unsupported fields are named in one pod; each at most {@link #MAX_UNSUPPORTED_TEXT} chars. */
  public static final int MAX_UNSUPPORTED = 16;
  public static final int MAX_UNSUPPORTED_TEXT = 512;
  /** At most this many {@code hostAliases} entries, each with at most this many host names. */
  public static final int MAX_HOST_ALIASES = 64;
  /** At most this many ephemeral containers ({@code kubectl debug} sessions) per pod. */
  public static final int MAX_EPHEMERAL_CONTAINERS = 32;

  /**
   * A pod as bridges before the issue-21 fields (activeDeadlineSeconds, hostAliases, ephemeralContainers, labels,
   * annotations, serviceAccountName) send it.
   */
  public PodV1(String nodeName, String restartPolicy, Long terminationGracePeriodSeconds, String deletionTimestamp,
      Long deletionGracePeriodSeconds, List<ContainerV1> containers, List<ContainerV1> initContainers,
      List<VolumeV1> volumes, List<String> imagePullSecrets, String hostname, String subdomain,
      Boolean setHostnameAsFQDN, SecurityV1.PodSecurityV1 securityContext, List<String> unsupported) {
    this(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, initContainers, volumes, imagePullSecrets, hostname, subdomain, setHostnameAsFQDN,
        securityContext, unsupported, null, null, null, null, null, null);
  }

  /** A pod with security settings whose spec the edge can otherwise honour in full (nothing {@code unsupported}). */
  public PodV1(String nodeName, String restartPolicy, Long terminationGracePeriodSeconds, String deletionTimestamp,
      Long deletionGracePeriodSeconds, List<ContainerV1> containers, List<ContainerV1> initContainers,
      List<VolumeV1> volumes, List<String> imagePullSecrets, String hostname, String subdomain,
      Boolean setHostnameAsFQDN, SecurityV1.PodSecurityV1 securityContext) {
    this(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, initContainers, volumes, imagePullSecrets, hostname, subdomain, setHostnameAsFQDN,
        securityContext, null);
  }

  /** A pod without security settings ({@code securityContext}, host namespaces) and nothing {@code unsupported}. */
  public PodV1(String nodeName, String restartPolicy, Long terminationGracePeriodSeconds, String deletionTimestamp,
      Long deletionGracePeriodSeconds, List<ContainerV1> containers, List<ContainerV1> initContainers,
      List<VolumeV1> volumes, List<String> imagePullSecrets, String hostname, String subdomain,
      Boolean setHostnameAsFQDN) {
    this(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, initContainers, volumes, imagePullSecrets, hostname, subdomain, setHostnameAsFQDN,
        (SecurityV1.PodSecurityV1) null);
  }

  /**
   * The spec fields the bridge found set to something edge nodes do not provide ({@code "<path>: <why>"}); empty if
   * none. The edge starts none of the pod's containers while any is listed.
   */
  public List<String> unsupportedFields() {
    return unsupported == null ? List.of() : unsupported;
  }

  /** The same pod with the given security settings. */
  public PodV1 withSecurityContext(SecurityV1.PodSecurityV1 security) {
    return new PodV1(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp,
        deletionGracePeriodSeconds, containers, initContainers, volumes, imagePullSecrets, hostname, subdomain,
        setHostnameAsFQDN, security, unsupported, activeDeadlineSeconds, hostAliases, ephemeralContainers, labels,
        annotations, serviceAccountName, dnsPolicy, dnsConfig, enableServiceLinks);
  }

  /** The pod-level security settings; an empty record if none were sent. */
  public SecurityV1.PodSecurityV1 security() {
    return securityContext != null ? securityContext
        : new SecurityV1.PodSecurityV1(null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  /** A pod whose hostname is its name (no {@code hostname}, {@code subdomain} or {@code setHostnameAsFQDN}). */
  public PodV1(String nodeName, String restartPolicy, Long terminationGracePeriodSeconds, String deletionTimestamp,
      Long deletionGracePeriodSeconds, List<ContainerV1> containers, List<ContainerV1> initContainers,
      List<VolumeV1> volumes, List<String> imagePullSecrets) {
    this(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, initContainers, volumes, imagePullSecrets, null, null, null);
  }

  /** The same pod with another restart policy. */
  public PodV1 withRestartPolicy(String policy) {
    return new PodV1(nodeName, policy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, initContainers, volumes, imagePullSecrets, hostname, subdomain, setHostnameAsFQDN,
        securityContext, unsupported, activeDeadlineSeconds, hostAliases, ephemeralContainers, labels, annotations,
        serviceAccountName, dnsPolicy, dnsConfig, enableServiceLinks);
  }

  /** Whether the kernel hostname is the pod's fully qualified name ({@code spec.setHostnameAsFQDN}). */
  public boolean hostnameAsFQDN() {
    return Boolean.TRUE.equals(setHostnameAsFQDN);
  }

  /** A pod without imagePullSecrets. */
  public PodV1(String nodeName, String restartPolicy, Long terminationGracePeriodSeconds, String deletionTimestamp,
      Long deletionGracePeriodSeconds, List<ContainerV1> containers, List<ContainerV1> initContainers,
      List<VolumeV1> volumes) {
    this(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, initContainers, volumes, null);
  }

  /** The names of the Secrets (in the pod's namespace) holding registry credentials; empty if none. */
  public List<String> pullSecretNames() {
    return imagePullSecrets == null ? List.of() : imagePullSecrets;
  }

  /** A pod with init containers, without volumes. */
  public PodV1(String nodeName, String restartPolicy, Long terminationGracePeriodSeconds, String deletionTimestamp,
      Long deletionGracePeriodSeconds, List<ContainerV1> containers, List<ContainerV1> initContainers) {
    this(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, initContainers, null);
  }

  /** A pod without init containers. */
  public PodV1(String nodeName, String restartPolicy, Long terminationGracePeriodSeconds, String deletionTimestamp,
      Long deletionGracePeriodSeconds, List<ContainerV1> containers) {
    this(nodeName, restartPolicy, terminationGracePeriodSeconds, deletionTimestamp, deletionGracePeriodSeconds,
        containers, null, null);
  }

  /** The init containers, in the order they run; empty if none. */
  public List<ContainerV1> initContainersInOrder() {
    return initContainers == null ? List.of() : initContainers;
  }

  /** The ephemeral containers ({@code kubectl debug}), in the order they were added; empty if none. */
  public List<ContainerV1> ephemeralContainersInOrder() {
    return ephemeralContainers == null ? List.of() : ephemeralContainers;
  }

  /** The {@code spec.hostAliases} entries for the pod's {@code /etc/hosts}; empty if none. */
  public List<HostAliasV1> hostAliasList() {
    return hostAliases == null ? List.of() : hostAliases;
  }

  /** The pod's labels, as far as the bridge sent them (for the downward API); empty if none. */
  public Map<String, String> labelMap() {
    return labels == null ? Map.of() : labels;
  }

  /** The pod's annotations, as far as the bridge sent them (for the downward API); empty if none. */
  public Map<String, String> annotationMap() {
    return annotations == null ? Map.of() : annotations;
  }

  public boolean deleting() {
    return deletionTimestamp != null;
  }

  /** Seconds the edge waits for containers to stop before killing them. */
  public long gracePeriodSeconds() {
    if (deletionGracePeriodSeconds != null) {
      return deletionGracePeriodSeconds;
    }
    return terminationGracePeriodSeconds == null ? 30 : terminationGracePeriodSeconds;
  }

  void validate() throws ProtocolException {
    Validation.require(nodeName, "pod.nodeName");
    Validation.requireOneOf(dnsPolicy, java.util.Set.of("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"),
        "pod.dnsPolicy");
    if (dnsConfig != null) {
      dnsConfig.validate();
    }
    if ("None".equals(dnsPolicy) && dnsConfig == null) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.dnsConfig is required with dnsPolicy None");
    }
    if (containers == null || containers.isEmpty()) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "pod has no containers");
    }
    java.util.Set<String> names = new java.util.HashSet<>();
    for (ContainerV1 container : containers) {
      Validation.require(container, "pod.containers[]");
      container.validate();
      names.add(container.name());
    }
    for (ContainerV1 container : initContainersInOrder()) {
      Validation.require(container, "pod.initContainers[]");
      container.validate();
      if (!names.add(container.name())) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "container name '" + container.name()
            + "' is used twice in the pod");
      }
    }
    for (String secret : pullSecretNames()) {
      Validation.require(secret, "pod.imagePullSecrets[]");
      if (!Topics.isValidNodeName(secret)) { // Secret names follow the same DNS-1123 subdomain rule
        throw new ProtocolException(ProtocolException.Reason.INVALID, "invalid Secret name '" + secret
            + "' in pod.imagePullSecrets");
      }
    }
    if (unsupportedFields().size() > MAX_UNSUPPORTED) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.unsupported names "
          + unsupportedFields().size() + " fields, at most " + MAX_UNSUPPORTED);
    }
    for (String field : unsupportedFields()) {
      Validation.require(field, "pod.unsupported[]");
      if (field.length() > MAX_UNSUPPORTED_TEXT) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.unsupported[] longer than "
            + MAX_UNSUPPORTED_TEXT + " characters");
      }
    }
    if (activeDeadlineSeconds != null && activeDeadlineSeconds < 1) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.activeDeadlineSeconds must be positive, was "
          + activeDeadlineSeconds);
    }
    if (hostAliasList().size() > MAX_HOST_ALIASES) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.hostAliases has " + hostAliasList().size()
          + " entries, at most " + MAX_HOST_ALIASES);
    }
    for (HostAliasV1 alias : hostAliasList()) {
      Validation.require(alias, "pod.hostAliases[]");
      alias.validate();
    }
    if (ephemeralContainersInOrder().size() > MAX_EPHEMERAL_CONTAINERS) {
      throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.ephemeralContainers has "
          + ephemeralContainersInOrder().size() + " entries, at most " + MAX_EPHEMERAL_CONTAINERS);
    }
    java.util.Set<String> regular = new java.util.HashSet<>();
    containers.forEach(c -> regular.add(c.name()));
    for (ContainerV1 container : ephemeralContainersInOrder()) {
      Validation.require(container, "pod.ephemeralContainers[]");
      container.validate();
      if (!names.add(container.name())) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "container name '" + container.name()
            + "' is used twice in the pod");
      }
      if (container.targetContainerName() != null && !regular.contains(container.targetContainerName())) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "ephemeral container " + container.name()
            + " targets unknown container '" + container.targetContainerName() + "'");
      }
    }
    for (Map.Entry<String, String> entry : labelMap().entrySet()) {
      Validation.require(entry.getKey(), "pod.labels key");
      if (entry.getValue() == null) { // an empty value is a valid label value (and annotation value) in Kubernetes
        throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.labels[" + entry.getKey() + "] is null");
      }
    }
    for (Map.Entry<String, String> entry : annotationMap().entrySet()) {
      Validation.require(entry.getKey(), "pod.annotations key");
      if (entry.getValue() == null) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.annotations[" + entry.getKey()
            + "] is null");
      }
    }
    java.util.Set<String> volumeNames = new java.util.HashSet<>();
    if (volumes != null) {
      for (VolumeV1 volume : volumes) {
        Validation.require(volume, "pod.volumes[]");
        volume.validate();
        if (!volumeNames.add(volume.name())) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "volume name '" + volume.name()
              + "' is used twice in the pod");
        }
      }
    }
    if (securityContext != null) {
      securityContext.validate();
    }
    List<ContainerV1> all = new java.util.ArrayList<>(containers);
    all.addAll(initContainersInOrder());
    all.addAll(ephemeralContainersInOrder());
    for (ContainerV1 container : all) {
      for (VolumeV1.VolumeMountV1 mount : container.mounts()) {
        Validation.require(mount, "container.volumeMounts[]");
        if (!volumeNames.contains(mount.name())) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "container " + container.name()
              + " mounts unknown volume '" + mount.name() + "'");
        }
        if (mount.mountPath() == null || !mount.mountPath().startsWith("/")) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "container " + container.name()
              + ": mountPath must be absolute, was '" + mount.mountPath() + "'");
        }
        if (mount.subPath() != null && !mount.subPath().isEmpty()) {
          VolumeV1.requireRelative(mount.subPath(), "container " + container.name() + " subPath");
        }
        if (mount.subPath() != null && !mount.subPath().isEmpty() && mount.subPathExpr() != null
            && !mount.subPathExpr().isEmpty()) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "container " + container.name()
              + ": subPath and subPathExpr are mutually exclusive");
        }
      }
    }
  }

  /** One container of a pod. */
  public record ContainerV1(
      String name,
      String image,
      String imagePullPolicy,
      List<String> command,
      List<String> args,
      String workingDir,
      List<EnvVarV1> env,
      List<EnvFromV1> envFrom,
      ResourcesV1 resources,
      List<PortV1> ports,
      List<VolumeV1.VolumeMountV1> volumeMounts,
      ProbeV1.ProbesV1 probes,
      SecurityV1.ContainerSecurityV1 securityContext,
      LifecycleV1 lifecycle,
      String terminationMessagePath,
      String terminationMessagePolicy,
      String restartPolicy,
      Boolean stdin,
      Boolean stdinOnce,
      Boolean tty,
      String targetContainerName) {

    /**
     * A container as bridges before the issue-21 fields (lifecycle, termination message, sidecar restartPolicy,
     * stdin/tty, ephemeral target) send it.
     */
    public ContainerV1(String name, String image, String imagePullPolicy, List<String> command, List<String> args,
        String workingDir, List<EnvVarV1> env, List<EnvFromV1> envFrom, ResourcesV1 resources, List<PortV1> ports,
        List<VolumeV1.VolumeMountV1> volumeMounts, ProbeV1.ProbesV1 probes,
        SecurityV1.ContainerSecurityV1 securityContext) {
      this(name, image, imagePullPolicy, command, args, workingDir, env, envFrom, resources, ports, volumeMounts,
          probes, securityContext, null, null, null, null, null, null, null, null);
    }

    /** Where the container writes its termination message; Kubernetes' default if not sent. */
    public String terminationMessageFile() {
      return terminationMessagePath == null || terminationMessagePath.isEmpty() ? "/dev/termination-log"
          : terminationMessagePath;
    }

    /** Whether the container log's tail stands in for an empty termination message of a failed container. */
    public boolean fallbackToLogsOnError() {
      return "FallbackToLogsOnError".equals(terminationMessagePolicy);
    }

    /** Whether this init container is a native sidecar ({@code restartPolicy: Always}). */
    public boolean sidecar() {
      return "Always".equals(restartPolicy);
    }

    /** A container without a {@code securityContext}. */
    public ContainerV1(String name, String image, String imagePullPolicy, List<String> command, List<String> args,
        String workingDir, List<EnvVarV1> env, List<EnvFromV1> envFrom, ResourcesV1 resources, List<PortV1> ports,
        List<VolumeV1.VolumeMountV1> volumeMounts, ProbeV1.ProbesV1 probes) {
      this(name, image, imagePullPolicy, command, args, workingDir, env, envFrom, resources, ports, volumeMounts,
          probes, null);
    }

    /** The same container with the given security settings. */
    public ContainerV1 withSecurityContext(SecurityV1.ContainerSecurityV1 security) {
      return new ContainerV1(name, image, imagePullPolicy, command, args, workingDir, env, envFrom, resources, ports,
          volumeMounts, probes, security, lifecycle, terminationMessagePath, terminationMessagePolicy, restartPolicy,
          stdin, stdinOnce, tty, targetContainerName);
    }

    public ContainerV1(String name, String image, String imagePullPolicy, List<String> command, List<String> args,
        String workingDir, List<EnvVarV1> env, List<EnvFromV1> envFrom, ResourcesV1 resources, List<PortV1> ports) {
      this(name, image, imagePullPolicy, command, args, workingDir, env, envFrom, resources, ports, null, null);
    }

    public ContainerV1(String name, String image, String imagePullPolicy, List<String> command, List<String> args,
        String workingDir, List<EnvVarV1> env, List<EnvFromV1> envFrom, ResourcesV1 resources, List<PortV1> ports,
        List<VolumeV1.VolumeMountV1> volumeMounts) {
      this(name, image, imagePullPolicy, command, args, workingDir, env, envFrom, resources, ports, volumeMounts,
          null);
    }

    /** The volume mounts; empty if none. */
    public List<VolumeV1.VolumeMountV1> mounts() {
      return volumeMounts == null ? List.of() : volumeMounts;
    }

    public ContainerV1(String name, String image, String imagePullPolicy, List<String> command, List<String> args,
        String workingDir, List<EnvVarV1> env) {
      this(name, image, imagePullPolicy, command, args, workingDir, env, null, null, null, null, null);
    }

    public ContainerV1(String name, String image, String imagePullPolicy, List<String> command, List<String> args,
        String workingDir, List<EnvVarV1> env, List<EnvFromV1> envFrom) {
      this(name, image, imagePullPolicy, command, args, workingDir, env, envFrom, null, null, null, null);
    }

    public ContainerV1(String name, String image, String imagePullPolicy, List<String> command, List<String> args,
        String workingDir, List<EnvVarV1> env, List<EnvFromV1> envFrom, ResourcesV1 resources) {
      this(name, image, imagePullPolicy, command, args, workingDir, env, envFrom, resources, null, null, null);
    }

    void validate() throws ProtocolException {
      Validation.require(name, "container.name");
      Validation.require(image, "container.image");
      if (securityContext != null) {
        securityContext.validate(name);
      }
      if (lifecycle != null) {
        lifecycle.validate("container " + name + " lifecycle");
      }
      if (terminationMessagePath != null && !terminationMessagePath.isEmpty()
          && !terminationMessagePath.startsWith("/")) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "container " + name
            + ": terminationMessagePath must be absolute, was '" + terminationMessagePath + "'");
      }
      if (terminationMessagePolicy != null && !List.of("File", "FallbackToLogsOnError")
          .contains(terminationMessagePolicy)) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "container " + name
            + ": terminationMessagePolicy must be File or FallbackToLogsOnError, was '" + terminationMessagePolicy + "'");
      }
      if (restartPolicy != null && !"Always".equals(restartPolicy)) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "container " + name
            + ": a container-level restartPolicy can only be Always (a sidecar), was '" + restartPolicy + "'");
      }
      if (resources != null) {
        resources.validate();
      }
      if (probes != null) {
        if (probes.liveness() != null) {
          probes.liveness().validate("container " + name + " livenessProbe");
        }
        if (probes.readiness() != null) {
          probes.readiness().validate("container " + name + " readinessProbe");
        }
        if (probes.startup() != null) {
          probes.startup().validate("container " + name + " startupProbe");
        }
      }
      if (ports != null) {
        for (PortV1 port : ports) {
          Validation.require(port, "container.ports[]");
          port.validate();
        }
      }
      if (env != null) {
        for (EnvVarV1 var : env) {
          Validation.require(var, "container.env[]");
          Validation.require(var.name(), "container.env[].name");
          if (var.valueFrom() != null) {
            var.valueFrom().validate();
          }
        }
      }
      if (envFrom != null) {
        for (EnvFromV1 source : envFrom) {
          Validation.require(source, "container.envFrom[]");
          if ((source.configMapRef() == null) == (source.secretRef() == null)) {
            throw new ProtocolException(ProtocolException.Reason.INVALID,
                "container.envFrom[] needs exactly one of configMapRef and secretRef");
          }
          Validation.require(source.configMapRef() == null ? source.secretRef().name()
              : source.configMapRef().name(), "container.envFrom[].name");
        }
      }
    }
  }

  /**
   * An environment variable: a literal {@code value}, or {@code valueFrom} a ConfigMap key, a Secret key or a field
   * of the pod, resolved on the edge when the container is created.
   */
  public record EnvVarV1(String name, String value, EnvSourceV1 valueFrom) {
    public EnvVarV1(String name, String value) {
      this(name, value, null);
    }
  }

  /**
   * Exactly one is set. {@code fieldPath} as in Kubernetes' fieldRef (e.g. metadata.name), {@code resourceFieldRef}
   * as in Kubernetes (a container's requests or limits).
   */
  public record EnvSourceV1(KeyRefV1 configMapKeyRef, KeyRefV1 secretKeyRef, String fieldPath,
      ResourceFieldRefV1 resourceFieldRef) {
    /** A source as bridges before {@code resourceFieldRef} send it. */
    public EnvSourceV1(KeyRefV1 configMapKeyRef, KeyRefV1 secretKeyRef, String fieldPath) {
      this(configMapKeyRef, secretKeyRef, fieldPath, null);
    }

    void validate() throws ProtocolException {
      int set = (configMapKeyRef == null ? 0 : 1) + (secretKeyRef == null ? 0 : 1) + (fieldPath == null ? 0 : 1)
          + (resourceFieldRef == null ? 0 : 1);
      if (set != 1) {
        throw new ProtocolException(ProtocolException.Reason.INVALID,
            "container.env[].valueFrom needs exactly one source, found " + set);
      }
      if (resourceFieldRef != null) {
        resourceFieldRef.validate("container.env[].valueFrom.resourceFieldRef");
      }
      for (KeyRefV1 ref : new KeyRefV1[] {configMapKeyRef, secretKeyRef}) {
        if (ref != null) {
          Validation.require(ref.name(), "container.env[].valueFrom.name");
          Validation.require(ref.key(), "container.env[].valueFrom.key");
        }
      }
    }
  }

  /**
   * A container's resource as Kubernetes' resourceFieldRef: {@code resource} one of {@code limits.cpu},
   * {@code requests.memory}, …; {@code containerName} absent means the container itself (env) and is required in
   * volumes; {@code divisor} a Kubernetes quantity, absent meaning 1.
   */
  public record ResourceFieldRefV1(String containerName, String resource, String divisor) {
    void validate(String what) throws ProtocolException {
      Validation.require(resource, what + ".resource");
    }
  }

  /** One {@code spec.hostAliases} entry: {@code hostnames} resolve to {@code ip} in the pod's /etc/hosts. */
  public record HostAliasV1(String ip, List<String> hostnames) {
    void validate() throws ProtocolException {
      Validation.require(ip, "pod.hostAliases[].ip");
      if (hostnames == null || hostnames.isEmpty() || hostnames.size() > MAX_HOST_ALIASES) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.hostAliases[" + ip
            + "] needs 1.." + MAX_HOST_ALIASES + " hostnames");
      }
      for (String host : hostnames) {
        Validation.require(host, "pod.hostAliases[].hostnames[]");
        if (host.chars().anyMatch(c -> c <= ' ' || c == '#')) {
          throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.hostAliases[].hostnames[] '" + host
              + "' contains whitespace or '#'");
        }
      }
      if (ip.chars().anyMatch(c -> c <= ' ' || c == '#')) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, "pod.hostAliases[].ip '" + ip
            + "' contains whitespace or '#'");
      }
    }
  }

  /**
   * A container's lifecycle hooks and stop signal: {@code postStart} runs right after the container starts,
   * {@code preStop} before it is stopped; {@code stopSignal} the signal that stops it (absent: the image's).
   */
  public record LifecycleV1(HandlerV1 postStart, HandlerV1 preStop, String stopSignal) {
    void validate(String what) throws ProtocolException {
      if (postStart != null) {
        postStart.validate(what + ".postStart");
      }
      if (preStop != null) {
        preStop.validate(what + ".preStop");
      }
    }
  }

  /**
   * A lifecycle hook: exactly one of {@code exec}, {@code httpGet}, {@code sleepSeconds}, or {@code unsupported}
   * naming a handler the edge cannot run (with the reason; the hook then fails as a kubelet's would).
   */
  public record HandlerV1(List<String> exec, ProbeV1.HttpGetV1 httpGet, Long sleepSeconds, String unsupported) {
    void validate(String what) throws ProtocolException {
      int set = (exec != null ? 1 : 0) + (httpGet != null ? 1 : 0) + (sleepSeconds != null ? 1 : 0)
          + (unsupported != null ? 1 : 0);
      if (set != 1) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, what + " needs exactly one of exec, httpGet"
            + " and sleep, has " + set);
      }
      if (exec != null && exec.isEmpty()) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, what + ".exec is empty");
      }
      if (httpGet != null && (httpGet.port() < 1 || httpGet.port() > 65535)) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, what + ".httpGet.port must be 1..65535");
      }
      if (sleepSeconds != null && sleepSeconds < 0) {
        throw new ProtocolException(ProtocolException.Reason.INVALID, what + ".sleep.seconds must not be negative");
      }
    }
  }

  /** A key of a ConfigMap or Secret in the pod's namespace; {@code optional} as in Kubernetes. */
  public record KeyRefV1(String name, String key, Boolean optional) {
    public boolean canBeMissing() {
      return Boolean.TRUE.equals(optional);
    }
  }

  /** All keys of a ConfigMap or Secret as variables, each name prefixed with {@code prefix}. */
  public record EnvFromV1(String prefix, ObjectNameV1 configMapRef, ObjectNameV1 secretRef) {}

  /** A ConfigMap or Secret in the pod's namespace. */
  public record ObjectNameV1(String name, Boolean optional) {
    public boolean canBeMissing() {
      return Boolean.TRUE.equals(optional);
    }
  }
}
