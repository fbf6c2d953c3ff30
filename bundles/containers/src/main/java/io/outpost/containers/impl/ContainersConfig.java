package io.outpost.containers.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(pid = ContainerManagerComponent.PID,
    name = "Outpost container manager",
    description = "How this edge node runs its pods on the local container engine.")
/** The metatype of the component's own PID (its keys may also be set in the node-wide io.outpost.node). */
public @interface ContainersConfig {
  @AttributeDefinition(description = "Name of this edge node (the Kubernetes node name); labels every container.")
  String node_name();

  @AttributeDefinition(description = "Docker Engine API address of the container engine (Podman serves it).")
  String engine_host() default "unix:///run/podman/podman.sock";

  @AttributeDefinition(description = "Seconds between two full reconciliation passes.", min = "1")
  int resync_interval_seconds() default 10;

  @AttributeDefinition(description = "Pods worked on at once in a pass (container create/start run in parallel).",
      min = "1", max = "64")
  int pod_workers() default 4;

  @AttributeDefinition(description = "Image of each pod's infra container, which holds the pod's network namespace "
      + "(pulled like any image when missing).")
  String infra_image() default Settings.DEFAULT_INFRA_IMAGE;

  @AttributeDefinition(description = "Command of the infra container, space-separated; empty for the image's own "
      + "(the pause image needs none).")
  String infra_command() default "";

  @AttributeDefinition(description = "Directory for pod volumes (emptyDir, ConfigMap, Secret); empty for "
      + "${karaf.data}/outpost/volumes. Put it on a filesystem of its own (not the store's) so that pods filling "
      + "their volumes cannot fill the node's store; set the sync's volumes.dir to the same directory.")
  String volumes_dir() default "";

  @AttributeDefinition(description = "Seconds between two measurements of the pods' emptyDir volumes that have a "
      + "sizeLimit (a pod over one is evicted, as by the kubelet) and of nodefs; at most one per full reconciliation "
      + "pass (resync.interval.seconds).", min = "1")
  int emptydir_check_interval_seconds() default 10;

  @AttributeDefinition(description = "Files and directories one measurement of a pod's emptyDir looks at, at most; "
      + "a volume with a sizeLimit holding more (or nested over 128 levels deep) cannot be measured and its pod is "
      + "evicted.", min = "1")
  int emptydir_walk_max_entries() default 1_000_000;

  @AttributeDefinition(description = "Hard eviction thresholds, as the kubelet's --eviction-hard (shared with the "
      + "sync, which reports the pressure conditions): below nodefs.available on the filesystem of volumes.dir the "
      + "node evicts the pod with the largest emptyDir usage, one per check interval.")
  String eviction_hard() default Settings.Storage.DEFAULT_EVICTION_HARD;

  @AttributeDefinition(description = "Host paths pods may mount as hostPath volumes, comma-separated prefixes; "
      + "empty allows none.")
  String hostpath_allow() default "";

  @AttributeDefinition(description = "Size in MiB at which the engine truncates a container's log (Podman's "
      + "k8s-file log starts again empty; the kubelet's default cap is 10 MiB too); 0 leaves the engine's default, "
      + "which on Podman is unbounded.", min = "0")
  int container_log_max_mb() default 10;

  @AttributeDefinition(description = "The cluster's DNS domain (the kubelet's clusterDomain): the domain of a pod "
      + "with a subdomain, <subdomain>.<namespace>.svc.<cluster domain>, whose containers then have the hostname "
      + "<hostname>.<that domain> if it sets setHostnameAsFQDN.")
  String cluster_domain() default Settings.DEFAULT_CLUSTER_DOMAIN;

  @AttributeDefinition(description = "The node's resolver configuration (the kubelet's --resolv-conf): pods with "
      + "dnsPolicy Default, and ClusterFirst pods while the node has no cluster DNS, get its nameservers, search "
      + "domains and options; ClusterFirst pods get its search domains after the cluster's. On a node whose "
      + "/etc/resolv.conf points at a local stub resolver (systemd-resolved's 127.0.0.53), name the file listing the "
      + "real upstream servers, e.g. /run/systemd/resolve/resolv.conf.")
  String resolv_conf() default "/etc/resolv.conf";

  // The switches allow.privileged, allow.host.network, allow.host.pid and allow.host.ipc are one table,
  // NodeSecurity.Allow, read from the component's properties: each what pods may use beyond the defaults.

  @AttributeDefinition(description = "Unsafe (but namespaced) sysctls pods may set beyond the kubelet's safe set, "
      + "comma-separated names or prefixes ending in * (the kubelet's --allowed-unsafe-sysctls), e.g. net.core.*; "
      + "others are rejected with reason SysctlForbidden.")
  String allowed_unsafe_sysctls() default "";

  @AttributeDefinition(description = "Seccomp profile of a container that names none: true for the engine's "
      + "default profile (RuntimeDefault, the kubelet's --seccomp-default), false for Unconfined.")
  boolean seccomp_default() default true;

  @AttributeDefinition(description = "Directory of the Localhost seccomp profiles pods may name "
      + "(seccompProfile.localhostProfile is relative to it); empty for ${karaf.etc}/seccomp.")
  String seccomp_profiles_dir() default "";
}
