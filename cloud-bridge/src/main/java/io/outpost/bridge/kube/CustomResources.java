package io.outpost.bridge.kube;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import org.slf4j.Logger;

/** Whether the API server serves a custom resource a controller of the bridge works on, and the bridge may list it. */
public final class CustomResources {
  private CustomResources() {}

  /**
   * True if {@code context}'s resource can be listed (one item is asked for); else says once why the controller of
   * {@code feature} stays idle: its CRD ({@code deploy/kubernetes/<crdFile>}) is not applied, or the bridge may not
   * list it (RBAC) — switched off with {@code flag=false}.
   */
  public static boolean listable(KubernetesClient client, ResourceDefinitionContext context, String feature,
      String crdFile, String flag, Logger log) {
    try {
      var resources = client.genericKubernetesResources(context);
      ListOptionsBuilder one = new ListOptionsBuilder().withLimit(1L);
      if (context.isNamespaceScoped()) {
        resources.inAnyNamespace().list(one.build());
      } else {
        resources.list(one.build());
      }
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        log.info("{} idle: the API server does not serve {}/{} {}s (apply deploy/kubernetes/{} and restart the"
            + " bridge to use them)", feature, context.getGroup(), context.getVersion(), context.getKind(), crdFile);
      } else {
        log.warn("{} idle: cannot list {}s ({} {}); apply deploy/kubernetes/10-rbac.yaml, or set {}=false", feature,
            context.getKind(), e.getCode(), e.getMessage(), flag);
      }
      return false;
    }
  }
}
