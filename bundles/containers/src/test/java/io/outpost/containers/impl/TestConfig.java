package io.outpost.containers.impl;

import java.lang.annotation.Annotation;

/** A {@link ContainersConfig} as Configuration Admin would hand it to the component, for tests. */
@SuppressWarnings("all") // a record implementing an annotation interface, as a test stand-in for the metatype proxy
record TestConfig(String node_name, String engine_host, int resync_interval_seconds, int pod_workers,
    String infra_image, String infra_command, String volumes_dir, String hostpath_allow) implements ContainersConfig {

  @Override
  public int container_log_max_mb() {
    return 10;
  }

  @Override
  public String cluster_domain() {
    return Settings.DEFAULT_CLUSTER_DOMAIN;
  }

  @Override
  public String allowed_unsafe_sysctls() {
    return "";
  }

  @Override
  public boolean seccomp_default() {
    return true;
  }

  @Override
  public String seccomp_profiles_dir() {
    return "";
  }

  @Override
  public int emptydir_check_interval_seconds() {
    return 10;
  }

  @Override
  public int emptydir_walk_max_entries() {
    return 1_000_000;
  }

  @Override
  public String eviction_hard() {
    return Settings.Storage.DEFAULT_EVICTION_HARD;
  }

  @Override
  public String resolv_conf() {
    return "/etc/resolv.conf";
  }

  @Override
  public Class<? extends Annotation> annotationType() {
    return ContainersConfig.class;
  }
}
