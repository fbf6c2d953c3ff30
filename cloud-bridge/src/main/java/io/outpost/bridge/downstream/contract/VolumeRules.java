package io.outpost.bridge.downstream.contract;

/** The contract's rules for {@code spec.volumes[]} (every volume type) and containers' volume mounts. */
final class VolumeRules {
  private static final String V = "spec.volumes[]";
  private static final String DOWNWARD_ITEM = V + ".downwardAPI.items[]";
  private static final String SOURCE = V + ".projected.sources[]";
  private static final String MOUNT = ContainerRules.C + ".volumeMounts[]";

  private VolumeRules() {}

  static void add(Rules r) {
    r.alias(SOURCE + ".downwardAPI.items[]", DOWNWARD_ITEM);
    r.honoured(V + ".name", "The volume's name.")
        .honoured(V + ".emptyDir", "A directory on the node's volumes.dir, or a tmpfs.")
        .honoured(V + ".emptyDir.medium", "\"\" (the node's disk) or Memory (a tmpfs); the node refuses others.")
        .honoured(V + ".emptyDir.sizeLimit", "Disk: the pod is evicted beyond it; Memory: the tmpfs's size.")
        .honoured(V + ".hostPath", "A node path, where the node's security admission allows it.")
        .honoured(V + ".hostPath.path", "The node path.")
        .honoured(V + ".hostPath.type", "Checked as a kubelet checks it.");
    keyed(r, V + ".configMap", "name", true);
    keyed(r, V + ".secret", "secretName", true);
    r.honoured(V + ".downwardAPI", "Files of pod fields and container resources, labels and annotations updated"
            + " live.")
        .honoured(V + ".downwardAPI.defaultMode", "The files' mode.")
        .honoured(DOWNWARD_ITEM, "One file.")
        .honoured(DOWNWARD_ITEM + ".path", "Relative, without '..'.")
        .honoured(DOWNWARD_ITEM + ".mode", "The file's mode.")
        .honoured(DOWNWARD_ITEM + ".fieldRef", "metadata.name, namespace, uid, labels, annotations (whole maps or"
            + " one key); annotations travel to the node only for pods that reference them.")
        .honoured(DOWNWARD_ITEM + ".fieldRef.fieldPath", "The pod field.")
        .honoured(DOWNWARD_ITEM + ".fieldRef.apiVersion", "v1.")
        .honoured(DOWNWARD_ITEM + ".resourceFieldRef", "A container's requests or limits.")
        .honoured(DOWNWARD_ITEM + ".resourceFieldRef.containerName", "The container (required in volumes).")
        .honoured(DOWNWARD_ITEM + ".resourceFieldRef.resource", "limits.cpu, requests.memory, ….")
        .honoured(DOWNWARD_ITEM + ".resourceFieldRef.divisor", "The unit, a quantity (1 if absent).")
        .honoured(V + ".projected", "Several sources in one directory.")
        .honoured(V + ".projected.defaultMode", "The files' mode.")
        .honoured(SOURCE, "One source, as below.");
    keyed(r, SOURCE + ".configMap", "name", false);
    keyed(r, SOURCE + ".secret", "name", false);
    r.honoured(SOURCE + ".downwardAPI", "As a downwardAPI volume.")
        .honoured(SOURCE + ".serviceAccountToken", "A bound token of the pod's ServiceAccount: requested by the"
            + " bridge (TokenRequest bound to the pod), written by the node, refreshed before it expires.")
        .honoured(SOURCE + ".serviceAccountToken.path", "The file.")
        .honoured(SOURCE + ".serviceAccountToken.audience", "The token's audience (the API server's if absent).")
        .honoured(SOURCE + ".serviceAccountToken.expirationSeconds", "The lifetime asked for (3607 s if absent).")
        .refusedTree(SOURCE + ".clusterTrustBundle", "ClusterTrustBundle sources are not provided on edge nodes");
    refusedTypes(r);
    mounts(r);
  }

  private static void keyed(Rules r, String at, String name, boolean defaultMode) {
    String kind = at.endsWith("secret") ? "Secret" : "ConfigMap";
    r.honoured(at, "Keys of a " + kind + " routed to the node, as read-only files updated in place.")
        .honoured(at + "." + name, "The " + kind + ".")
        .honoured(at + ".optional", "A missing " + kind + " gives an empty directory.")
        .honoured(at + ".items[]", "Only these keys, at these paths.")
        .honoured(at + ".items[].key", "The key.")
        .honoured(at + ".items[].path", "Relative, without '..'.")
        .honoured(at + ".items[].mode", "The file's mode.");
    if (defaultMode) {
      r.honoured(at + ".defaultMode", "The files' mode.");
    }
  }

  private static void refusedTypes(Rules r) {
    r.refusedTree(V + ".persistentVolumeClaim", "persistent volumes are not provided on edge nodes")
        .refusedTree(V + ".ephemeral", "generic ephemeral volumes (a claim per pod) are not provided on edge nodes")
        .refusedTree(V + ".csi", "CSI volumes are not provided on edge nodes")
        .refusedTree(V + ".image", "image volumes are not provided on edge nodes")
        .refusedTree(V + ".nfs", "NFS volumes are not mounted on edge nodes")
        .refusedTree(V + ".iscsi", "iSCSI volumes are not mounted on edge nodes")
        .refusedTree(V + ".fc", "Fibre Channel volumes are not mounted on edge nodes")
        .refusedTree(V + ".rbd", "Ceph RBD volumes are not mounted on edge nodes")
        .refusedTree(V + ".cephfs", "CephFS volumes are not mounted on edge nodes")
        .refusedTree(V + ".glusterfs", "GlusterFS volumes are not mounted on edge nodes")
        .refusedTree(V + ".gitRepo", "gitRepo volumes (deprecated) are not provided on edge nodes")
        .refusedTree(V + ".flexVolume", "FlexVolume drivers are not available on edge nodes")
        .refusedTree(V + ".awsElasticBlockStore", "cloud disks are not available on edge nodes")
        .refusedTree(V + ".azureDisk", "cloud disks are not available on edge nodes")
        .refusedTree(V + ".azureFile", "cloud file shares are not available on edge nodes")
        .refusedTree(V + ".gcePersistentDisk", "cloud disks are not available on edge nodes")
        .refusedTree(V + ".cinder", "cloud disks are not available on edge nodes")
        .refusedTree(V + ".vsphereVolume", "vSphere disks are not available on edge nodes")
        .refusedTree(V + ".photonPersistentDisk", "Photon disks are not available on edge nodes")
        .refusedTree(V + ".portworxVolume", "Portworx volumes are not available on edge nodes")
        .refusedTree(V + ".quobyte", "Quobyte volumes are not available on edge nodes")
        .refusedTree(V + ".scaleIO", "ScaleIO volumes are not available on edge nodes")
        .refusedTree(V + ".storageos", "StorageOS volumes are not available on edge nodes")
        .refusedTree(V + ".flocker", "Flocker volumes are not available on edge nodes");
  }

  private static void mounts(Rules r) {
    r.honoured(MOUNT, "Where a volume appears in the container.")
        .honoured(MOUNT + ".name", "A volume of the pod.")
        .honoured(MOUNT + ".mountPath", "Absolute.")
        .honoured(MOUNT + ".readOnly", "ConfigMap, Secret, downwardAPI and projected volumes are read-only"
            + " whatever it says, as on a kubelet.")
        .honoured(MOUNT + ".subPath", "A path inside the volume, re-validated against symlinks.")
        .honoured(MOUNT + ".subPathExpr", "As subPath, with $(VAR) references expanded from the container's"
            + " environment.")
        .refused(MOUNT + ".mountPropagation", "only None is provided on edge nodes",
            "HostToContainer or Bidirectional", Checks.textOtherThan("None"))
        .refused(MOUNT + ".recursiveReadOnly", "recursive read-only mounts are not provided on edge nodes",
            "Enabled (IfPossible and Disabled mount as without it)", Checks.textIs("Enabled"));
  }
}
